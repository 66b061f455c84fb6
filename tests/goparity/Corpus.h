// The differential corpus: every hostile request named in issue 10, and deterministic generated
// mutations of valid requests at the PEM, DER and attribute level.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace goparity {

struct NamedCase {
  std::string name;
  std::string text;    // spec.request as sent (PEM)
  std::string reason;  // a piece of csr-operator's refusal message
};

std::vector<NamedCase> hostileCases();

// Valid requests that both readers must accept and read the same.
std::vector<std::pair<std::string, std::string>> validCases();

// Text-level edits of valid PEM (line breaks, glued and garbage END lines, second blocks, headers...).
std::vector<std::string> pemMutations(uint32_t seed, int count);
// Edits of the signed CertificationRequestInfo (byte flips, truncations, length edits, TLV splices,
// deletions, duplications), re-signed so that they reach the parser past the signature check.
std::vector<std::string> derMutations(uint32_t seed, int count);
// Random subjects and attribute sets from a pool of tricky values, signed.
std::vector<std::string> attributeMutations(uint32_t seed, int count);
// Byte edits of a whole signed request (as tests/signers/test_hostile_mutations.cpp), not re-signed.
std::vector<std::string> unsignedMutations(uint32_t seed, int count);

}  // namespace goparity
