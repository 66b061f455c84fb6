// How the health listener (HealthServer.cpp) reads a request header, in one place so that
// tests/fuzz/fuzz_health_request.cpp drives exactly the parser configuration the listener uses.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>

#include <cstddef>
#include <cstdint>

namespace csrop {

using HealthRequestParser = boost::beast::http::request_parser<boost::beast::http::empty_body>;

// A header over maxHeaderBytes fails with http::error::header_limit (or buffer_overflow, from the
// buffer below); any announced body fails at the header with http::error::body_limit, before a
// byte of it is read.
inline void limitHealthRequestParser(HealthRequestParser& parser, std::size_t maxHeaderBytes) {
  parser.header_limit(static_cast<std::uint32_t>(maxHeaderBytes));
  parser.body_limit(0);
}

// The read buffer of one connection, capped like the header so a request cannot grow it.
inline boost::beast::flat_buffer healthRequestBuffer(std::size_t maxHeaderBytes) {
  return boost::beast::flat_buffer(maxHeaderBytes);
}

}  // namespace csrop
