#pragma once
// The small HTTP interface the client is written against. Boost.Beast and cpprest live only behind
// makeBeastTransport and makeCpprestTransport; makeTransport picks the one RestConfig::httpClient names.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "k8sclient/RestConfig.h"

namespace k8s {

// Largest newline-free piece a stream may buffer: one watch event line. kube-apiserver refuses request
// bodies over 3 MiB (apiserver/pkg/server/config.go, MaxRequestBodyBytes) and etcd values over its
// 1.5 MiB --max-request-bytes, so no stored object is bigger than that; its JSON watch line can still grow
// past it (protobuf bytes become base64, the {"type","object"} envelope, managedFields). 16 MiB is five
// times the largest body the apiserver accepts and still a bounded cost per watch when a peer misbehaves.
inline constexpr size_t kMaxStreamLineBytes = 16 * 1024 * 1024;
// Largest whole (non-streamed) response body. The informer LISTs in pages (ListOptions::limit), so a
// page of even 500 objects of the largest size above stays under it; anything larger is not an answer
// the client can use, and growing a buffer for it would let a peer exhaust memory.
inline constexpr size_t kMaxResponseBodyBytes = 64 * 1024 * 1024;

struct HttpRequest {
  std::string method;  // GET POST PUT PATCH DELETE
  std::string path;    // starts with '/', includes the query
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

struct HttpResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case keys
  std::string body;
  std::string header(const std::string& lowerName) const {
    auto it = headers.find(lowerName);
    return it == headers.end() ? std::string() : it->second;
  }
};

class TransportError : public std::runtime_error {
 public:
  enum class Kind {
    Connect,    // refused / unreachable / DNS: the request was not sent
    Tls,        // handshake or verification failure: the request was not sent
    Timeout,    // no bytes within the timeout (idle timeout on streams)
    Cancelled,  // the stop_token was triggered
    Io,         // the connection broke after the request may have been sent
  };
  TransportError(Kind kind, const std::string& what) : std::runtime_error(what), kind_(kind) {}
  Kind kind() const { return kind_; }
  // True when the server cannot have seen the request, so even a non-idempotent verb may be retried.
  bool requestNotSent() const { return kind_ == Kind::Connect || kind_ == Kind::Tls; }

 private:
  Kind kind_;
};

const char* to_string(TransportError::Kind kind);

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Whole request/response. Throws TransportError; any HTTP status is a normal return. A body over
  // kMaxResponseBodyBytes throws TransportError (Io).
  virtual HttpResponse send(const HttpRequest& request, std::stop_token stop) = 0;
  // Streams a 2xx body: onLine gets each newline-terminated piece (newline included) as it arrives; a
  // final piece without newline may follow at EOF. Returns status and headers once the body ends; for
  // a non-2xx status the body is returned instead of streamed. No bytes for idleTimeout -> Timeout;
  // stop requested -> Cancelled within one second. More than kMaxStreamLineBytes without a newline ->
  // TransportError (Io), and the connection is dropped.
  virtual HttpResponse stream(const HttpRequest& request, const std::function<void(std::string_view)>& onLine,
                              std::chrono::seconds idleTimeout, std::stop_token stop) = 0;
};

// Both: TLS verified against caPem (system store when empty), hostname checked (tlsServerName overrides),
// client certificate from memory, bearer token from TokenSource, User-Agent from config.
std::shared_ptr<HttpTransport> makeCpprestTransport(const RestConfig& config);
// Each call on its caller's thread over a kept-alive connection from a pool; no I/O thread.
std::shared_ptr<HttpTransport> makeBeastTransport(const RestConfig& config);
std::shared_ptr<HttpTransport> makeTransport(const RestConfig& config);

}  // namespace k8s
