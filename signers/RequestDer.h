#pragma once
// Splits a DER PKCS#10 request into its parts without letting OpenSSL decode the public key.
// OpenSSL 3.0's d2i_X509_REQ builds a provider decoder chain for the key on every call, which
// cost more than the signature check itself; the signers parse the key more cheaply (RequestKey.h).
#include <optional>
#include <span>
#include <string>

namespace signers {

using DerBytes = std::span<const unsigned char>;

struct DerTlv {
  int tag = 0;
  int cls = 0;  // V_ASN1_UNIVERSAL, V_ASN1_CONTEXT_SPECIFIC, ...
  bool constructed = false;
  DerBytes whole;
  DerBytes content;
};

// Reads one DER TLV (low tag number, minimal definite length) from the front of `in` and advances
// it. False on any error.
bool readDerTlv(DerBytes& in, DerTlv& out);

// Dotted text of an OID's content octets ("2.5.29.17"); empty when malformed, not minimally
// encoded, or an arc does not fit Go's int32.
std::string oidToDotted(DerBytes content);

struct RequestDer {
  DerBytes info;                // CertificationRequestInfo, whole TLV (the signed bytes)
  DerBytes subject;             // Name, whole TLV
  DerBytes spki;                // SubjectPublicKeyInfo, whole TLV
  DerBytes spkiAlgorithm;       // AlgorithmIdentifier, whole TLV
  DerBytes publicKey;           // subjectPublicKey BIT STRING contents after the unused-bits octet
  DerBytes attributes;          // contents of [0] (may be empty)
  DerBytes signatureAlgorithm;  // AlgorithmIdentifier, whole TLV
  DerBytes signature;           // signature BIT STRING contents after the unused-bits octet
};

// Fills spkiAlgorithm and publicKey from spki (a whole SubjectPublicKeyInfo TLV).
bool splitSubjectPublicKeyInfo(RequestDer& der);

// Strict DER: minimal definite lengths, no trailing bytes at any level, version 0, the [0]
// attributes element present (as Go requires).
std::optional<std::string> splitRequestDer(DerBytes der, RequestDer& out);

}  // namespace signers
