// The health/metrics listener against hostile clients: it is unauthenticated, so nothing a client
// sends may cost the process more than a bounded amount of memory, descriptors or time.
#include "controller/HealthRequestParser.h"
#include "controller/HealthServer.h"

#include <doctest/doctest.h>

#include <atomic>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

class Socket {
 public:
  explicit Socket(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  }
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  Socket(Socket&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }

  // False once the server closed or reset the connection.
  bool send(const std::string& data) {
    std::size_t done = 0;
    while (done < data.size()) {
      const ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
      if (n <= 0) return false;
      done += static_cast<std::size_t>(n);
    }
    return true;
  }
  // Everything the server sends until it closes the connection or the deadline passes.
  std::string readUntilClosed(std::chrono::milliseconds within, bool* closed = nullptr) {
    std::string got;
    const auto deadline = Clock::now() + within;
    while (Clock::now() < deadline) {
      pollfd p{fd_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (::poll(&p, 1, static_cast<int>(std::max<long long>(left, 1))) <= 0) continue;
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        if (closed) *closed = true;
        return got;
      }
      got.append(buf, static_cast<std::size_t>(n));
    }
    if (closed) *closed = false;
    return got;
  }

 private:
  int fd_;
};

std::string get(int port, const std::string& path) {
  Socket s(port);
  REQUIRE(s.send("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  return s.readUntilClosed(5s);
}

long rssKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return -1;
}

std::size_t openDescriptors() {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// Waits for a condition with a deadline instead of sleeping.
template <class F>
bool eventually(F&& condition, std::chrono::milliseconds within = 5000ms) {
  const auto deadline = Clock::now() + within;
  while (Clock::now() < deadline)
    if (condition()) return true;
  return condition();
}

csrop::HealthServer makeServer(csrop::HealthServerLimits limits = {}) {
  return csrop::HealthServer(
      "127.0.0.1:0", [] { return std::string(); }, [] { return std::string("metric 1\n"); }, limits);
}

}  // namespace

TEST_CASE("health server: /readyz is 503 with the reason while not ready, and 200 again once ready") {
  std::atomic<bool> tokenGone{true};
  csrop::HealthServer server(
      "127.0.0.1:0",
      [&] { return tokenGone ? std::string("signer kubernetes.io/kubelet-serving unavailable: no token present matches") : std::string(); },
      [] { return std::string(); });
  const auto down = get(server.port(), "/readyz");
  CHECK(down.rfind("HTTP/1.1 503", 0) == 0);
  CHECK(down.find("signer kubernetes.io/kubelet-serving unavailable: no token present matches\n") != std::string::npos);
  CHECK(get(server.port(), "/healthz").rfind("HTTP/1.1 200", 0) == 0);  // alive all along: no restart for a token outage
  tokenGone = false;
  CHECK(get(server.port(), "/readyz").rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("health server: answers /healthz, /readyz, /metrics, 404 and 405") {
  auto server = makeServer();
  CHECK(get(server.port(), "/healthz").rfind("HTTP/1.1 200", 0) == 0);
  CHECK(get(server.port(), "/readyz?verbose").rfind("HTTP/1.1 200", 0) == 0);
  const auto metrics = get(server.port(), "/metrics");
  CHECK(metrics.find("text/plain; version=0.0.4") != std::string::npos);
  CHECK(metrics.find("metric 1\n") != std::string::npos);
  CHECK(get(server.port(), "/nope").rfind("HTTP/1.1 404", 0) == 0);
  Socket s(server.port());
  REQUIRE(s.send("DELETE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  CHECK(s.readUntilClosed(5s).rfind("HTTP/1.1 405", 0) == 0);
}

TEST_CASE("health server: keep-alive serves several requests on one connection") {
  auto server = makeServer();
  Socket s(server.port());
  REQUIRE(s.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
  const auto both = s.readUntilClosed(5s);
  CHECK(both.find("HTTP/1.1 200") != both.rfind("HTTP/1.1 200"));
}

TEST_CASE("health server: a never-ending header gets 431 after 8 KiB and memory stays flat") {
  auto server = makeServer();
  const long before = rssKiB();
  Socket s(server.port());
  REQUIRE(s.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Flood: "));
  // The old listener buffered all of it (273 MB seen); the server must stop reading long before.
  const std::string chunk(64 * 1024, 'a');
  std::size_t sent = 0;
  while (sent < 256u * 1024 * 1024 && s.send(chunk)) sent += chunk.size();
  bool closed = false;
  const auto answer = s.readUntilClosed(5s, &closed);
  CHECK(sent < 64u * 1024 * 1024);
  CHECK(closed);
  if (!answer.empty()) CHECK(answer.rfind("HTTP/1.1 431", 0) == 0);
  CHECK(rssKiB() - before < 16 * 1024);
  CHECK(get(server.port(), "/healthz").rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("health server: a header sent a field at a time is refused once it passes 8 KiB in total") {
  // Each field arrives in its own segment, so no single read holds more than a few bytes: the limit
  // must count the whole header (Beast's own header_limit bounds one read only).
  auto server = makeServer();
  Socket s(server.port());
  REQUIRE(s.send("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  std::size_t sent = 0;
  for (int i = 0; i < 400 && s.send("X-F" + std::to_string(i) + ": " + std::string(20, 'a') + "\r\n"); ++i) sent += 30;
  s.send("\r\n");
  bool closed = false;
  const auto answer = s.readUntilClosed(5s, &closed);
  INFO("sent " << sent << " header bytes");
  CHECK(closed);
  CHECK(answer.rfind("HTTP/1.1 431", 0) == 0);
  CHECK(answer.find("200 OK") == std::string::npos);
  CHECK(get(server.port(), "/healthz").rfind("HTTP/1.1 200", 0) == 0);
}

TEST_CASE("health header reader: a long request line and then fields are refused once the header passes the limit") {
  // Beast 1.74 parses and drops the request line before the fields, and applies header_limit to what
  // one put() sees, so a 5 KiB line followed by 5 KiB of fields (found by fuzz_health_request with
  // 8,574 bytes) passed; only a count across pieces sees the total.
  csrop::HealthHeaderReader reader(8 * 1024);
  auto buffer = csrop::HealthHeaderReader::makeBuffer(8 * 1024);
  auto feed = [&](const std::string& bytes) {  // as the listener reads: at most what the buffer has room for
    const std::size_t n = std::min(bytes.size(), csrop::HealthHeaderReader::room(buffer));
    auto dst = buffer.prepare(n);
    std::memcpy(dst.data(), bytes.data(), n);
    buffer.commit(n);
    return reader.feed(buffer);
  };
  using State = csrop::HealthHeaderReader::State;
  REQUIRE(feed("GET /healthz?" + std::string(5000, 'q') + " HTTP/1.1\r\n") == State::NeedMore);
  auto state = State::NeedMore;
  for (int i = 0; i < 170 && state == State::NeedMore; ++i)
    state = feed("X-F" + std::to_string(100 + i) + ": " + std::string(20, 'a') + "\r\n");
  if (state == State::NeedMore) state = feed("\r\n");
  CHECK(state == State::Failed);
  CHECK(reader.error() == boost::beast::http::error::header_limit);
  CHECK(reader.headerBytes() <= 8 * 1024);
}

TEST_CASE("health header reader: a header within the limit is parsed, a pipelined request stays buffered") {
  csrop::HealthHeaderReader reader(8 * 1024);
  auto buffer = csrop::HealthHeaderReader::makeBuffer(8 * 1024);
  const std::string two = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n";
  auto dst = buffer.prepare(two.size());
  std::memcpy(dst.data(), two.data(), two.size());
  buffer.commit(two.size());
  REQUIRE(reader.feed(buffer) == csrop::HealthHeaderReader::State::Done);
  CHECK(reader.parser().get().target() == "/healthz");
  CHECK(buffer.size() == two.size() / 2);
}

TEST_CASE("health server: a request body is refused with 413 before it is read") {
  auto server = makeServer();
  const long before = rssKiB();
  Socket s(server.port());
  REQUIRE(s.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n"));
  bool closed = false;
  const auto answer = s.readUntilClosed(5s, &closed);
  CHECK(answer.rfind("HTTP/1.1 413", 0) == 0);
  CHECK(closed);
  const std::string chunk(64 * 1024, 'b');
  std::size_t sent = 0;
  while (sent < 256u * 1024 * 1024 && s.send(chunk)) sent += chunk.size();
  CHECK(sent < 64u * 1024 * 1024);
  Socket chunked(server.port());
  REQUIRE(chunked.send("GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
  CHECK(chunked.readUntilClosed(5s).rfind("HTTP/1.1 413", 0) == 0);
  CHECK(rssKiB() - before < 16 * 1024);
}

TEST_CASE("health server: a silent connection is closed after the request timeout") {
  csrop::HealthServerLimits limits;
  limits.requestTimeout = 300ms;
  auto server = makeServer(limits);
  Socket idle(server.port());
  REQUIRE(idle.send("GET /healthz HTTP/1.1\r\n"));  // a header that never ends
  bool closed = false;
  const auto started = Clock::now();
  idle.readUntilClosed(5s, &closed);
  CHECK(closed);
  CHECK(Clock::now() - started < 3s);
}

TEST_CASE("health server: 3,000 idle connections neither lock out /healthz nor hold 3,000 sockets") {
  rlimit files{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &files) == 0);
  if (files.rlim_cur < 8192 && files.rlim_max > files.rlim_cur) {
    files.rlim_cur = std::min<rlim_t>(files.rlim_max, 8192);
    ::setrlimit(RLIMIT_NOFILE, &files);
  }
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &files) == 0);
  const std::size_t clients = std::min<std::size_t>(3000, files.rlim_cur > 300 ? files.rlim_cur - 300 : 0);
  REQUIRE_MESSAGE(clients >= 1000, "RLIMIT_NOFILE too low for this test: ", files.rlim_cur);

  auto server = makeServer();
  [[maybe_unused]] const long before = rssKiB();
  const std::size_t fdsBefore = openDescriptors();
  std::vector<Socket> idle;
  idle.reserve(clients);
  for (std::size_t i = 0; i < clients; ++i) {
    idle.emplace_back(server.port());
    if (i % 2 == 0) REQUIRE(idle.back().send("GET /healthz HTTP/1.1\r\nHo"));  // half a request each
  }
  CHECK(eventually([&] { return server.openConnections() <= csrop::HealthServerLimits{}.maxConnections; }));
  // Our clients hold `clients` descriptors; the server may hold at most its cap on top.
  CHECK(openDescriptors() - fdsBefore <= clients + csrop::HealthServerLimits{}.maxConnections + 8);
  for (int i = 0; i < 5; ++i) CHECK(get(server.port(), "/healthz").rfind("HTTP/1.1 200", 0) == 0);
#ifndef __SANITIZE_ADDRESS__
  // Under ASan every evicted session's memory sits in the allocator's quarantine (256 MB by
  // default), so RSS says nothing there; the descriptor and connection counts above still bound it.
  CHECK(rssKiB() - before < 16 * 1024);
#endif
}
