// Kubernetes object decoding (k8sclient/Objects.h, IdentityObjects.h, ApiError.h, KubeClient list
// pages): an API server answer decodes into each typed object or throws a std::exception the
// informer handles, never anything worse. A decoded CSR, Node or Lease survives to_json/from_json
// unchanged, since every status write of the operator is such a read-modify-write.
#include <memory>
#include <stdexcept>
#include <string>

#include "k8sclient/ApiError.h"
#include "k8sclient/HttpTransport.h"
#include "k8sclient/IdentityObjects.h"
#include "k8sclient/KubeClient.h"
#include "k8sclient/Objects.h"
#include "tests/fuzz/FuzzSupport.h"

namespace {

// Answers every request with the fuzz input as a 200 body.
class CannedTransport : public k8s::HttpTransport {
 public:
  std::string body;
  k8s::HttpResponse send(const k8s::HttpRequest&, std::stop_token) override { return {200, {}, body}; }
  k8s::HttpResponse stream(const k8s::HttpRequest&, const std::function<void(std::string_view)>&, std::chrono::seconds,
                           std::stop_token) override {
    return {200, {}, body};
  }
};

template <class T>
void roundTrip(const nlohmann::json& j) {
  T first;
  try {
    first = j.get<T>();
  } catch (const std::exception&) {
    return;
  }
  const nlohmann::json encoded = first;
  T second;
  try {
    second = encoded.get<T>();
  } catch (const std::exception&) {
    fuzz::fail("an object we encoded decodes again");
  }
  fuzz::require(nlohmann::json(second) == encoded, "to_json(from_json(to_json(x))) == to_json(x)");
}

template <class T>
void decodeOnly(const nlohmann::json& j) {
  try {
    (void)j.get<T>();
  } catch (const std::exception&) {
  }
}

template <class T>
void listPage(k8s::KubeClient& client) {
  try {
    (void)client.list<T>();
  } catch (const std::exception&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const bool quiet = (fuzz::quietLogs(), true);
  (void)quiet;
  const std::string body(fuzz::view(data, size));

  (void)k8s::parseStatus(500, body);
  (void)k8s::ApiError::fromResponse(409, body, "PUT", "/apis/certificates.k8s.io/v1/certificatesigningrequests/x");

  const auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded()) {
    roundTrip<k8s::CertificateSigningRequest>(j);
    roundTrip<k8s::Node>(j);
    roundTrip<k8s::Lease>(j);
    decodeOnly<k8s::SubjectAccessReview>(j);
    decodeOnly<k8s::Event>(j);
    decodeOnly<k8s::Service>(j);
    decodeOnly<k8s::EndpointSlice>(j);
    decodeOnly<k8s::Machine>(j);
  }

  static auto transport = std::make_shared<CannedTransport>();
  static k8s::KubeClient client(transport, [] {
    k8s::ClientOptions o;
    o.qps = 0;  // no rate limit: every input is one request
    o.maxRetries = 0;
    return o;
  }());
  transport->body = body;
  listPage<k8s::CertificateSigningRequest>(client);
  listPage<k8s::Node>(client);
  listPage<k8s::Lease>(client);
  return 0;
}
