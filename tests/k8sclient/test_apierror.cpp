#include <doctest/doctest.h>

#include "k8sclient/ApiError.h"

using namespace k8s;

TEST_CASE("ApiError parses a metav1.Status body") {
  std::string body =
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"certificatesigningrequests \"x\" not found","reason":"NotFound","details":{"name":"x","group":"certificates.k8s.io","kind":"certificatesigningrequests"},"code":404})";
  ApiError e = ApiError::fromResponse(404, body, "GET", "/apis/certificates.k8s.io/v1/certificatesigningrequests/x");
  CHECK(e.status().code == 404);
  CHECK(e.status().reason == "NotFound");
  CHECK(e.status().message == "certificatesigningrequests \"x\" not found");
  CHECK(e.status().details["name"] == "x");
  CHECK(isNotFound(e));
  CHECK_FALSE(isConflict(e));
  CHECK(std::string(e.what()).find("404") != std::string::npos);
  CHECK(std::string(e.what()).find("not found") != std::string::npos);
}

TEST_CASE("ApiError falls back to the HTTP code when the body is not a Status") {
  ApiError e = ApiError::fromResponse(503, "<html>upstream down</html>");
  CHECK(e.status().code == 503);
  CHECK(e.status().reason == "ServiceUnavailable");
  CHECK(e.status().message == "<html>upstream down</html>");
  CHECK(isServerError(e));
  ApiError j = ApiError::fromResponse(409, R"({"kind":"Pod"})");
  CHECK(isConflict(j));
  ApiError empty = ApiError::fromResponse(401, "");
  CHECK(isUnauthorized(empty));
}

TEST_CASE("ApiError predicates") {
  auto make = [](int code, std::string reason) { return ApiError(Status{code, std::move(reason), "m", nullptr}); };
  CHECK(isAlreadyExists(make(409, "AlreadyExists")));
  CHECK_FALSE(isAlreadyExists(make(409, "Conflict")));
  CHECK(isConflict(make(409, "Conflict")));
  CHECK(isForbidden(make(403, "Forbidden")));
  CHECK(isUnauthorized(make(401, "Unauthorized")));
  CHECK(isGone(make(410, "Gone")));
  CHECK(isGone(make(410, "Expired")));
  CHECK(isGone(make(500, "Expired")));
  CHECK(isTooManyRequests(make(429, "TooManyRequests")));
  CHECK(isInvalid(make(422, "Invalid")));
  CHECK(isServerError(make(500, "InternalError")));
  CHECK_FALSE(isServerError(make(429, "TooManyRequests")));
  std::runtime_error other("x");
  CHECK_FALSE(isNotFound(other));
  const std::exception& asBase = make(404, "NotFound");
  CHECK(isNotFound(asBase));
}

TEST_CASE("Status code inside the body wins over the HTTP code") {
  Status s = parseStatus(500, R"({"kind":"Status","code":410,"reason":"Expired","message":"too old resource version"})");
  CHECK(s.code == 410);
  CHECK(s.reason == "Expired");
}
