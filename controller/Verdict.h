// What an approval policy decided about one CSR, and why. Failure is expected here, so it is a
// value: every Deny names the check that failed in a sentence an operator understands.
#pragma once

#include <string>

namespace csrop {

enum class Decision {
  Approve,
  Deny,
  Skip,   // not ours, or left for a human (approve-only mode, unrecognised requests)
  Retry,  // a transient failure (Node lookup, SubjectAccessReview, DNS): try again later, never deny
};

struct Verdict {
  Decision decision = Decision::Skip;
  std::string reason;   // CamelCase, written as the condition reason (e.g. IPNotOwnedByNode)
  std::string message;  // one sentence naming the failed check and the offending value

  static Verdict approve(std::string reason, std::string message) { return {Decision::Approve, std::move(reason), std::move(message)}; }
  static Verdict deny(std::string reason, std::string message) { return {Decision::Deny, std::move(reason), std::move(message)}; }
  static Verdict skip(std::string reason, std::string message) { return {Decision::Skip, std::move(reason), std::move(message)}; }
  static Verdict retry(std::string reason, std::string message) { return {Decision::Retry, std::move(reason), std::move(message)}; }
};

const char* decisionName(Decision decision);

}  // namespace csrop
