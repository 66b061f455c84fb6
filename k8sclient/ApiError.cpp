#include "k8sclient/ApiError.h"

namespace k8s {

namespace {
std::string reasonForCode(int code) {
  switch (code) {
    case 400: return "BadRequest";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "NotFound";
    case 405: return "MethodNotAllowed";
    case 406: return "NotAcceptable";
    case 409: return "Conflict";
    case 410: return "Expired";
    case 413: return "RequestEntityTooLarge";
    case 415: return "UnsupportedMediaType";
    case 422: return "Invalid";
    case 429: return "TooManyRequests";
    case 500: return "InternalError";
    case 503: return "ServiceUnavailable";
    case 504: return "Timeout";
    default: return code >= 500 ? "InternalError" : "Unknown";
  }
}

std::string describe(const Status& s, const std::string& method, const std::string& path) {
  std::string out = "API error " + std::to_string(s.code);
  if (!s.reason.empty()) out += " " + s.reason;
  if (!method.empty()) out += " (" + method + " " + path + ")";
  if (!s.message.empty()) out += ": " + s.message;
  return out;
}

std::string str(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}
}  // namespace

Status parseStatus(int httpCode, const std::string& body) {
  Status s;
  s.code = httpCode;
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && str(j, "kind") == "Status") {
    auto code = j.find("code");
    if (code != j.end() && code->is_number_integer() && code->get<int>() != 0) s.code = code->get<int>();
    s.reason = str(j, "reason");
    s.message = str(j, "message");
    if (auto d = j.find("details"); d != j.end()) s.details = *d;
  } else {
    // Proxies and load balancers answer with plain text or HTML; keep a short excerpt of it.
    s.message = body.substr(0, 512);
  }
  if (s.reason.empty()) s.reason = reasonForCode(s.code);
  return s;
}

ApiError::ApiError(Status status, std::string method, std::string path)
    : std::runtime_error(describe(status, method, path)), status_(std::move(status)) {}

ApiError ApiError::fromResponse(int httpCode, const std::string& body, const std::string& method, const std::string& path) {
  return ApiError(parseStatus(httpCode, body), method, path);
}

bool isNotFound(const ApiError& e) { return e.code() == 404 || e.status().reason == "NotFound"; }
bool isAlreadyExists(const ApiError& e) { return e.status().reason == "AlreadyExists"; }
bool isConflict(const ApiError& e) { return e.code() == 409 || e.status().reason == "Conflict"; }
bool isForbidden(const ApiError& e) { return e.code() == 403 || e.status().reason == "Forbidden"; }
bool isUnauthorized(const ApiError& e) { return e.code() == 401 || e.status().reason == "Unauthorized"; }
bool isGone(const ApiError& e) { return e.code() == 410 || e.status().reason == "Expired" || e.status().reason == "Gone"; }
bool isTooManyRequests(const ApiError& e) { return e.code() == 429 || e.status().reason == "TooManyRequests"; }
bool isInvalid(const ApiError& e) { return e.code() == 422 || e.status().reason == "Invalid"; }
bool isServerError(const ApiError& e) { return e.code() >= 500 && e.code() <= 599; }

namespace {
template <class F>
bool asApi(const std::exception& e, F f) {
  auto* api = dynamic_cast<const ApiError*>(&e);
  return api != nullptr && f(*api);
}
}  // namespace

bool isNotFound(const std::exception& e) {
  return asApi(e, [](const ApiError& a) { return isNotFound(a); });
}
bool isAlreadyExists(const std::exception& e) {
  return asApi(e, [](const ApiError& a) { return isAlreadyExists(a); });
}
bool isConflict(const std::exception& e) {
  return asApi(e, [](const ApiError& a) { return isConflict(a); });
}
bool isForbidden(const std::exception& e) {
  return asApi(e, [](const ApiError& a) { return isForbidden(a); });
}
bool isUnauthorized(const std::exception& e) {
  return asApi(e, [](const ApiError& a) { return isUnauthorized(a); });
}
bool isGone(const std::exception& e) {
  return asApi(e, [](const ApiError& a) { return isGone(a); });
}
bool isTooManyRequests(const std::exception& e) {
  return asApi(e, [](const ApiError& a) { return isTooManyRequests(a); });
}
bool isInvalid(const std::exception& e) {
  return asApi(e, [](const ApiError& a) { return isInvalid(a); });
}
bool isServerError(const std::exception& e) {
  return asApi(e, [](const ApiError& a) { return isServerError(a); });
}

}  // namespace k8s
