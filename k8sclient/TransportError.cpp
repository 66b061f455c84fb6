#include "k8sclient/HttpTransport.h"

namespace k8s {

const char* to_string(TransportError::Kind kind) {
  switch (kind) {
    case TransportError::Kind::Connect: return "connect";
    case TransportError::Kind::Tls: return "tls";
    case TransportError::Kind::Timeout: return "timeout";
    case TransportError::Kind::Cancelled: return "cancelled";
    case TransportError::Kind::Io: return "io";
  }
  return "unknown";
}

std::shared_ptr<HttpTransport> makeTransport(const RestConfig& config) {
  return config.httpClient == HttpClient::Cpprest ? makeCpprestTransport(config) : makeBeastTransport(config);
}

}  // namespace k8s
