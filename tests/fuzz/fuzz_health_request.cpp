// The health listener's request reading (controller/HealthRequestParser.h): its HealthHeaderReader
// over the bytes a client sends, with the listener's header limit, body limit and capped buffer.
// The first input byte picks how many bytes each read returns, as a slow client would send them. Whatever the bytes: a header that is accepted fits in maxHeaderBytes and
// announces no body, since the listener never reads one.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>

#include <algorithm>
#include <cstdio>
#include <string_view>

#include "controller/HealthRequestParser.h"
#include "controller/HealthServer.h"
#include "tests/fuzz/FuzzSupport.h"

namespace {

// A SyncReadStream over a fixed byte string, at most `step` bytes per read_some.
class BytesStream {
 public:
  using executor_type = boost::asio::any_io_executor;
  BytesStream(std::string_view bytes, std::size_t step) : bytes_(bytes), step_(step) {}

  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    if (bytes_.empty()) {
      ec = boost::asio::error::eof;
      return 0;
    }
    const std::size_t n = boost::asio::buffer_copy(buffers, boost::asio::buffer(bytes_.data(), std::min(step_, bytes_.size())));
    bytes_.remove_prefix(n);
    ec = {};
    return n;
  }
  template <class MutableBufferSequence>
  std::size_t read_some(const MutableBufferSequence& buffers) {
    boost::system::error_code ec;
    const auto n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  std::string_view bytes_;
  std::size_t step_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const csrop::HealthServerLimits limits;
  const std::size_t step = 1 + data[0] % 128 * 16;
  BytesStream stream(fuzz::view(data + 1, size - 1), step);
  auto buffer = csrop::HealthHeaderReader::makeBuffer(limits.maxHeaderBytes);
  csrop::HealthHeaderReader reader(limits.maxHeaderBytes);
  auto state = reader.feed(buffer);
  while (state == csrop::HealthHeaderReader::State::NeedMore) {
    boost::system::error_code ec;
    const std::size_t n = stream.read_some(buffer.prepare(csrop::HealthHeaderReader::room(buffer)), ec);
    if (ec) return 0;
    buffer.commit(n);
    fuzz::require(buffer.size() <= limits.maxHeaderBytes, "the read buffer never grows past maxHeaderBytes");
    state = reader.feed(buffer);
  }
  if (state == csrop::HealthHeaderReader::State::Failed) return 0;
  auto& parser = reader.parser();
  fuzz::require(parser.is_header_done(), "an accepted request has a complete header");
  if (reader.headerBytes() > limits.maxHeaderBytes) {
    std::fprintf(stderr, "header of %zu bytes accepted, limit %zu\n", reader.headerBytes(), limits.maxHeaderBytes);
    fuzz::fail("an accepted header fits in maxHeaderBytes");
  }
  const auto length = parser.content_length();
  fuzz::require(!length || *length == 0 || parser.chunked(), "an accepted header announces no body");
  const auto& req = parser.get();
  (void)req.target();
  (void)req.keep_alive();
  return 0;
}
