#include "k8sclient/StreamLines.h"

#include "k8sclient/HttpTransport.h"

namespace k8s {

void StreamLines::feed(std::string_view bytes) {
  // Complete lines inside this read are handed out straight from it; only a line cut by the read
  // boundary is copied.
  size_t start = 0;
  if (!pending_.empty()) {
    const size_t nl = bytes.find('\n');
    if (nl == std::string_view::npos) {
      pending_.append(bytes);
    } else {
      pending_.append(bytes.substr(0, nl + 1));
      onLine_(pending_);
      pending_.clear();
      start = nl + 1;
    }
  }
  if (pending_.empty()) {
    for (size_t nl; (nl = bytes.find('\n', start)) != std::string_view::npos; start = nl + 1) onLine_(bytes.substr(start, nl - start + 1));
    pending_.assign(bytes.substr(start));
  }
  if (pending_.size() > kMaxStreamLineBytes)
    throw TransportError(TransportError::Kind::Io, "stream line longer than " + std::to_string(kMaxStreamLineBytes) +
                                                       " bytes (k8s::kMaxStreamLineBytes) without a newline; the stream was dropped");
}

void StreamLines::finish() {
  if (pending_.empty()) return;
  pending_ += '\n';
  onLine_(pending_);
  pending_.clear();
}

}  // namespace k8s
