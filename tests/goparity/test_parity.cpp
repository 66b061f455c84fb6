// The parity rule of issue 10, checked against Go itself: csr-operator never accepts a request
// that Go's ParseCSR + CheckSignature refuses, and never reads anything Go does not read.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string_view>

#include "signers/CertificateRequest.h"
#include "tests/fakeapi/Api.h"
#include "tests/fakeapi/CsrStrategy.h"
#include "tests/fakeapi/GoPem.h"
#include "tests/goparity/Corpus.h"
#include "tests/goparity/GoDump.h"

using namespace goparity;

namespace {

struct Tally {
  int bothAccept = 0;
  int bothRefuse = 0;
  int onlyGoAccepts = 0;  // allowed: we refuse what Go could read differently
};

// Checks every input; returns the tally. One Go process for the whole corpus.
Tally checkParity(const std::vector<std::string>& inputs, const std::string& what) {
  auto go = goDump(inputs);
  Tally t;
  int reported = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    auto ours = signers::parseCertificateRequest(inputs[i]);
    bool goOk = go[i]["ok"].get<bool>() && go[i]["signatureOk"].get<bool>();
    if (ours.ok() && goOk)
      ++t.bothAccept;
    else if (!ours.ok() && !goOk)
      ++t.bothRefuse;
    else if (!ours.ok())
      ++t.onlyGoAccepts;
    if (auto v = parityViolation(ours, go[i])) {
      if (++reported <= 10) FAIL_CHECK(what << " #" << i << ": " << *v << "\n--- input ---\n" << inputs[i]);
    }
  }
  CHECK_MESSAGE(reported == 0, what << ": " << reported << " parity violations");
  MESSAGE(what << ": " << inputs.size() << " inputs; both accept " << t.bothAccept << ", both refuse " << t.bothRefuse
               << ", only Go accepts " << t.onlyGoAccepts);
  return t;
}

// CI runs the fixed seed; GOPARITY_SEED=<n> explores another corpus of the same shape (and
// GOPARITY_SCALE=<k> makes it k times larger) when hunting for new disagreements by hand.
uint32_t seedOffset() {
  const char* s = std::getenv("GOPARITY_SEED");
  return s ? static_cast<uint32_t>(std::strtoul(s, nullptr, 10)) : 0;
}

int scaled(int count) {
  const char* s = std::getenv("GOPARITY_SCALE");
  return s ? count * std::max(1, std::atoi(s)) : count;
}

}  // namespace

TEST_CASE("parity: every hostile request of issue 10 is refused, with its reason") {
  for (const auto& c : hostileCases()) {
    auto r = signers::parseCertificateRequest(c.text);
    REQUIRE_FALSE_MESSAGE(r.ok(), c.name);
    CHECK_MESSAGE(r.error().find(c.reason) != std::string::npos, c.name, ": ", r.error());
  }
}

TEST_CASE("parity: the hostile requests are ones Go reads, or the test would prove nothing") {
  // Each of these is accepted by Go's ParseCSR (most with a different reading than a lenient
  // parser's); csr-operator refuses them all (previous test).
  const std::vector<std::string_view> goReads = {"END line glued to the base64, then a second block",
                                                 "END line followed by garbage, then a second block",
                                                 "PEM headers",
                                                 "bytes before BEGIN",
                                                 "Microsoft extensionRequest with SANs",
                                                 "EC with extra parameters",
                                                 "T61String CN",
                                                 "UniversalString CN",
                                                 "empty RDN",
                                                 "extensionRequest with two values",
                                                 "IPv4-mapped IPv6 address"};
  auto cases = hostileCases();
  std::vector<std::string> texts;
  for (const auto& c : cases) texts.push_back(c.text);
  auto go = goDump(texts);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    bool expected = std::find(goReads.begin(), goReads.end(), cases[i].name) != goReads.end();
    if (expected) CHECK_MESSAGE(go[i]["ok"].get<bool>(), cases[i].name, ": ", go[i].dump());
  }
  // The glued END line: Go reads the second request, not the first.
  CHECK(go[0]["cn"] == "system:node:worker-2");
  CHECK(go[0]["dns"] == nlohmann::json::array({"kubernetes.default.svc"}));
  // Microsoft's attribute: Go sees none of its SANs.
  auto ms = std::find_if(cases.begin(), cases.end(), [](const NamedCase& c) { return c.name == "Microsoft extensionRequest with SANs"; });
  CHECK(go[static_cast<std::size_t>(ms - cases.begin())]["email"].empty());
}

TEST_CASE("parity: valid requests are accepted and read exactly as Go reads them") {
  auto cases = validCases();
  std::vector<std::string> texts;
  for (const auto& [name, text] : cases) texts.push_back(text);
  auto go = goDump(texts);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    auto ours = signers::parseCertificateRequest(cases[i].second);
    CHECK_MESSAGE(ours.ok(), cases[i].first, ": ", ours.error());
    CHECK_MESSAGE(go[i]["ok"].get<bool>(), cases[i].first, ": ", go[i].dump());
    auto v = parityViolation(ours, go[i]);
    CHECK_MESSAGE(!v, cases[i].first, ": ", v.value_or(""));
  }
}

TEST_CASE("parity: never more accepted nor more seen than Go, over hostile cases and generated mutations") {
  auto started = std::chrono::steady_clock::now();
  std::vector<std::string> hostile;
  for (const auto& c : hostileCases()) hostile.push_back(c.text);
  Tally h = checkParity(hostile, "hostile cases");
  CHECK(h.bothAccept == 0);

  const uint32_t seed = seedOffset();
  Tally pemLevel = checkParity(pemMutations(1001 + seed, scaled(3000)), "PEM-level mutations");
  Tally derLevel = checkParity(derMutations(2002 + seed, scaled(4000)), "DER-level mutations (re-signed)");
  Tally attrLevel = checkParity(attributeMutations(3003 + seed, scaled(3000)), "attribute-level mutations");
  checkParity(unsignedMutations(4004 + seed, scaled(1000)), "byte mutations of a signed request");
  // Each generator must produce inputs both readers accept, or it would test only refusals.
  CHECK(pemLevel.bothAccept > 50);
  CHECK(derLevel.bothAccept > 50);
  CHECK(attrLevel.bothAccept > 50);
  auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  MESSAGE("differential corpus checked in " << seconds << " s");
}

TEST_CASE("parity: the fake API server decodes PEM exactly as Go's pem.Decode") {
  std::vector<std::string> texts = pemMutations(5005 + seedOffset(), scaled(3000));
  for (const auto& c : hostileCases()) texts.push_back(c.text);
  for (const auto& [name, text] : validCases()) texts.push_back(text);
  auto go = goDump(texts);
  int differences = 0;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    std::string_view rest;
    auto block = fakeapi::gopem::decode(texts[i], &rest);
    const auto& view = go[i]["pem"];
    bool same = block.has_value() == view["found"].get<bool>();
    if (same && block) {
      std::string hex;
      for (unsigned char ch : block->bytes) {
        static const char* digits = "0123456789abcdef";
        hex += digits[ch >> 4];
        hex += digits[ch & 0xf];
      }
      same = block->type == view["type"].get<std::string>() && static_cast<int>(block->headers.size()) == view["headers"].get<int>() &&
             hex == view["der"].get<std::string>() && static_cast<int>(rest.size()) == view["rest"].get<int>();
    }
    if (!same && ++differences <= 10) FAIL_CHECK("input #" << i << ": Go " << view.dump() << "\n" << texts[i]);
  }
  CHECK(differences == 0);
}

TEST_CASE("parity: the fake API server admits a PEM-level hostile request exactly when Go does") {
  auto cases = hostileCases();
  std::vector<std::string> texts;
  for (const auto& c : cases) texts.push_back(c.text);
  for (const auto& [name, text] : validCases()) texts.push_back(text);
  auto go = goDump(texts);
  // The PEM-level cases come first in the corpus; their request DER is ordinary.
  const std::size_t pemCases = 10;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    if (i >= pemCases && i < cases.size()) continue;
    nlohmann::json csr = {{"spec", {{"request", fakeapi::base64Encode(texts[i])}}}};
    std::string why;
    bool fakeOk = fakeapi::csr::parseRequest(csr, why) != nullptr;
    bool goOk = go[i]["ok"].get<bool>() && go[i]["signatureOk"].get<bool>();
    CHECK_MESSAGE(fakeOk == goOk, "input #", i, ": fake says ", why, ", Go ", go[i].dump());
  }
}
