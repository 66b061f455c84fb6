#pragma once
// Cuts a streamed body into newline-terminated pieces, with the kMaxStreamLineBytes bound; shared by
// the transports so that both hand a watch the same lines.
#include <functional>
#include <string>
#include <string_view>

namespace k8s {

class StreamLines {
 public:
  explicit StreamLines(const std::function<void(std::string_view)>& onLine) : onLine_(onLine) {}
  // Hands out every line completed by these bytes. A piece longer than kMaxStreamLineBytes without a
  // newline throws TransportError (Io): the caller must drop the connection.
  void feed(std::string_view bytes);
  // At the end of the body: a last piece without newline is handed out with one added.
  void finish();

 private:
  const std::function<void(std::string_view)>& onLine_;
  std::string pending_;
};

}  // namespace k8s
