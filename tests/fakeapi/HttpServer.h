// Network layer of the fake kube-apiserver: TLS (boost::beast + asio ssl), one thread per
// connection, authentication from the client certificate or bearer token, chunked watch streams.
#pragma once

#include "tests/fakeapi/Authenticator.h"
#include "tests/fakeapi/Router.h"

#include <memory>

namespace fakeapi {

class HttpServer {
 public:
  HttpServer(Router& router, WatchHub& hub, const Authenticator& authn, const std::string& pkiDir);
  ~HttpServer();
  uint16_t bind(const std::string& host, uint16_t port);
  void run();  // accepts until the process ends

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace fakeapi
