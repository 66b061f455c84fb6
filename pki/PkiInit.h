// `pki init`: the three CAs of the "Single root CA" table and the service-account key pair.
#pragma once

#include <filesystem>
#include <iosfwd>
#include <string>

#include "pki/CaKeySource.h"
#include "signers/Pkcs11KeyGeneration.h"

namespace csrop::pki {

struct InitOptions {
  std::filesystem::path dir;  // the kubeadm root (/etc/kubernetes); files go to dir/pki
  std::string rootCertFile;   // both set: the CAs become intermediates of this root
  std::string rootKeyFile;
  int days = 3650;  // kubeadm's CA lifetime
  // --key-uri: the kubernetes CA's key pair is generated on this PKCS#11 token and no pki/ca.key is
  // written (External CA mode keeps that key off the node); the other CAs and sa.key stay files.
  CaKeySource tokenKey;                                                 // key: the URI; empty: every key is a file
  signers::TokenKeyType tokenKeyType = signers::TokenKeyType::Rsa2048;  // RSA, as the file keys
};

// Exit code: 0 done (existing pairs are kept, as kubeadm does), 1 something could not be created.
int runPkiInit(const InitOptions& options, std::ostream& out, std::ostream& err);

}  // namespace csrop::pki
