#pragma once
// A tiny HTTPS server on 127.0.0.1 for transport tests (boost::asio, one thread per connection).
// Paths: /ok (200 JSON), /status/<code> (that status, Retry-After: 1), /stream?n=N&ms=M (chunked
// watch lines M ms apart), /stall (one line, then silence until the client leaves or the server stops),
// /big?mib=N[&chunked=1] (a body of N MiB + 1 byte), /longline?mib=N (a stream of N MiB + 1 byte, no newline),
// /keep[?close=1|?dropnext=1] (kept-alive answers, see serveConnection), PUT /unread (recorded in seen() with
// its request line only; the body is never read, the server waits for the client to leave). The others close the connection.
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace k8stest {

struct SeenRequest {
  std::string requestLine, authorization, userAgent, host, clientCn;
};

class TlsTestServer {
 public:
  // requireClientCertFromCa: when non-empty, clients must present a certificate signed by this CA file.
  TlsTestServer(const std::string& certFile, const std::string& keyFile, const std::string& requireClientCertFromCa = "");
  struct PlainHttp {};
  explicit TlsTestServer(PlainHttp);
  ~TlsTestServer();
  int port() const { return port_; }
  std::vector<SeenRequest> seen();
  int connections() const;        // accepted so far
  int closedConnections() const;  // of those, ended by the server or the client

 private:
  void listen();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int port_ = 0;
};

// Certificate and key files for the transport tests (tests/support/TestPki) in a temporary folder.
struct TestPki {
  std::string dir;
  std::string caCrt, caKey, otherCaCrt;    // file paths
  std::string serverCrt, serverKey;        // SAN IP:127.0.0.1, DNS:localhost
  std::string wrongNameCrt, wrongNameKey;  // SAN DNS:other.example only
  std::string clientCrt, clientKey;        // CN=admin, O=system:masters
  TestPki();
  ~TestPki();
  static std::string read(const std::string& path);
};

}  // namespace k8stest
