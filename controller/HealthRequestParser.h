// How the health listener (HealthServer.cpp) reads a request header, in one place so that
// tests/fuzz/fuzz_health_request.cpp drives exactly what the listener runs.
#pragma once

#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstddef>
#include <cstdint>

namespace csrop {

using HealthRequestParser = boost::beast::http::request_parser<boost::beast::http::empty_body>;

// Parses one request header from bytes that arrive in pieces, refusing it once the header has
// taken more than maxHeaderBytes in total. Beast 1.74's header_limit only bounds what one put()
// sees: it hands back each complete field line as it goes, so a client sending its header a line at
// a time could grow it for as long as the request timeout lets it (found by fuzz_health_request).
// Any announced body fails at the header with http::error::body_limit, before a byte of it is read.
class HealthHeaderReader {
 public:
  enum class State { NeedMore, Done, Failed };

  explicit HealthHeaderReader(std::size_t maxHeaderBytes) : max_(maxHeaderBytes) {
    parser_.header_limit(static_cast<std::uint32_t>(maxHeaderBytes));
    parser_.body_limit(0);
  }

  // The connection's read buffer, capped like the header so a request cannot grow it.
  static boost::beast::flat_buffer makeBuffer(std::size_t maxHeaderBytes) { return boost::beast::flat_buffer(maxHeaderBytes); }

  // Consumes what the parser takes of `buffer` (bytes after a complete header stay there for the
  // next request on the connection).
  State feed(boost::beast::flat_buffer& buffer) {
    boost::beast::error_code ec;
    const std::size_t used = parser_.put(buffer.data(), ec);
    buffer.consume(used);
    consumed_ += used;
    if (ec == boost::beast::http::error::need_more) ec = {};
    if (!ec && consumed_ > max_) ec = boost::beast::http::error::header_limit;
    if (!ec && parser_.is_header_done()) return State::Done;
    // The rest of the header is still to come: what is buffered counts against the limit too.
    if (!ec && (consumed_ + buffer.size() > max_ || room(buffer) == 0)) ec = boost::beast::http::error::header_limit;
    if (ec) {
      error_ = ec;
      return State::Failed;
    }
    return State::NeedMore;
  }

  // How many more bytes the buffer may take in the next read (> 0 whenever feed said NeedMore).
  static std::size_t room(const boost::beast::flat_buffer& buffer) { return buffer.max_size() - buffer.size(); }

  boost::beast::error_code error() const { return error_; }
  std::size_t headerBytes() const { return consumed_; }
  HealthRequestParser& parser() { return parser_; }

 private:
  std::size_t max_;
  std::size_t consumed_ = 0;
  boost::beast::error_code error_;
  HealthRequestParser parser_;
};

}  // namespace csrop
