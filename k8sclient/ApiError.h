#pragma once
// Non-2xx answers of the API server as a typed error built from the metav1.Status body.
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace k8s {

struct Status {
  int code = 0;
  std::string reason;  // NotFound, AlreadyExists, Conflict, Expired, ...
  std::string message;
  nlohmann::json details;  // may be null
};

// Parses a metav1.Status body; when the body is not one, reason/message come from the HTTP code and text.
Status parseStatus(int httpCode, const std::string& body);

class ApiError : public std::runtime_error {
 public:
  explicit ApiError(Status status, std::string method = "", std::string path = "");
  static ApiError fromResponse(int httpCode, const std::string& body, const std::string& method = "", const std::string& path = "");
  const Status& status() const { return status_; }
  int code() const { return status_.code; }

 private:
  Status status_;
};

bool isNotFound(const ApiError& e);
bool isAlreadyExists(const ApiError& e);
bool isConflict(const ApiError& e);
bool isForbidden(const ApiError& e);
bool isUnauthorized(const ApiError& e);
bool isGone(const ApiError& e);  // 410, or reason Expired / Gone
bool isTooManyRequests(const ApiError& e);
bool isInvalid(const ApiError& e);      // 422 or reason Invalid
bool isServerError(const ApiError& e);  // 5xx

// The same for any exception: false unless it is an ApiError matching the predicate.
bool isNotFound(const std::exception& e);
bool isAlreadyExists(const std::exception& e);
bool isConflict(const std::exception& e);
bool isForbidden(const std::exception& e);
bool isUnauthorized(const std::exception& e);
bool isGone(const std::exception& e);
bool isTooManyRequests(const std::exception& e);
bool isInvalid(const std::exception& e);
bool isServerError(const std::exception& e);

}  // namespace k8s
