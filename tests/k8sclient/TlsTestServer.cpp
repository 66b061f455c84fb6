#include "TlsTestServer.h"

#include "tests/support/TestPki.h"

// Boost 1.74 asio uses std::exchange without including <utility> under C++20.
#include <utility>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <algorithm>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace k8stest {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct TlsTestServer::Impl {
  asio::io_context io;
  asio::ssl::context ctx{asio::ssl::context::tls_server};
  tcp::acceptor acceptor{io};
  std::atomic<bool> stopping{false};
  std::thread acceptThread;
  std::mutex mu;
  std::vector<std::thread> workers;
  std::vector<SeenRequest> seen;
  bool plain = false;
  std::atomic<int> connections{0}, closed{0};

  void acceptLoop() {
    while (!stopping) {
      tcp::socket sock(io);
      boost::system::error_code ec;
      acceptor.accept(sock, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      if (ec) continue;
      sock.non_blocking(false);
      std::lock_guard l(mu);
      workers.emplace_back([this, s = std::move(sock)]() mutable { serve(std::move(s)); });
    }
  }

  static std::string header(const std::string& head, const std::string& name) {
    std::istringstream in(head);
    std::string line;
    while (std::getline(in, line)) {
      auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      std::string k = line.substr(0, colon);
      for (auto& c : k) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (k != name) continue;
      std::string v = line.substr(colon + 1);
      while (!v.empty() && (v.front() == ' ')) v.erase(0, 1);
      while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.pop_back();
      return v;
    }
    return {};
  }

  static int queryInt(const std::string& target, const std::string& key, int fallback) {
    auto p = target.find(key + "=");
    if (p == std::string::npos) return fallback;
    return std::atoi(target.c_str() + p + key.size() + 1);
  }

  static tcp::socket& socketOf(tcp::socket& s) { return s; }
  static tcp::socket& socketOf(asio::ssl::stream<tcp::socket>& s) { return s.next_layer(); }
  static void finish(tcp::socket& s, boost::system::error_code& ec) { s.shutdown(tcp::socket::shutdown_both, ec); }
  static void finish(asio::ssl::stream<tcp::socket>& s, boost::system::error_code& ec) { s.shutdown(ec); }
  static std::string peerCn(tcp::socket&) { return {}; }
  static std::string peerCn(asio::ssl::stream<tcp::socket>& tls) {
    std::unique_ptr<X509, decltype(&X509_free)> peer(SSL_get1_peer_certificate(tls.native_handle()), X509_free);
    if (!peer) return {};
    char cn[256] = {0};
    X509_NAME_get_text_by_NID(X509_get_subject_name(peer.get()), NID_commonName, cn, sizeof cn);
    return cn;
  }

  // Silence until the client goes away (a read returns) or the server stops.
  template <typename Stream>
  void waitForClientToLeave(Stream& tls) {
    boost::system::error_code ec;
    socketOf(tls).non_blocking(true);
    char b[16];
    while (!stopping) {
      socketOf(tls).read_some(asio::buffer(b), ec);
      if (ec != asio::error::would_block && ec != asio::error::try_again) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // Like waitForClientToLeave, but reads nothing: what the client sends stays in the socket.
  template <typename Stream>
  void waitForClientToCloseUnread(Stream& tls) {
    while (!stopping) {
      pollfd p{socketOf(tls).native_handle(), POLLRDHUP, 0};
      if (::poll(&p, 1, 5) != 0) break;
    }
  }

  void serve(tcp::socket sock) {
    ++connections;
    if (plain) {
      serveConnection(sock);
    } else {
      asio::ssl::stream<tcp::socket> tls(std::move(sock), ctx);
      boost::system::error_code ec;
      tls.handshake(asio::ssl::stream_base::server, ec);
      if (!ec) serveConnection(tls);
    }
    ++closed;
  }

  // /keep answers and keeps the connection open for the next request; /keep?close=1 answers, says
  // keep-alive and then closes (a server ending an idle connection); /keep?dropnext=1 answers, reads
  // the next request and closes without an answer (the same, racing a request already on its way).
  template <typename Stream>
  void serveConnection(Stream& tls) {
    boost::system::error_code ec;
    asio::streambuf buf;
    for (bool dropNext = false;;) {
      asio::read_until(tls, buf, "\r\n\r\n", ec);
      if (ec || dropNext) return;
      std::string head{asio::buffers_begin(buf.data()), asio::buffers_end(buf.data())};
      head = head.substr(0, head.find("\r\n\r\n") + 4);
      // /unread: the body is never read, so a large one fills the socket and blocks its writer.
      if (head.rfind("PUT /unread", 0) == 0) {
        {
          std::lock_guard l(mu);
          seen.push_back(SeenRequest{head.substr(0, head.find("\r\n")), "", "", "", ""});
        }
        waitForClientToCloseUnread(tls);
        return;
      }
      const size_t length = static_cast<size_t>(std::atoll(header(head, "content-length").c_str()));
      if (buf.size() < head.size() + length) asio::read(tls, buf, asio::transfer_exactly(head.size() + length - buf.size()), ec);
      buf.consume(head.size() + length);
      if (!serveOne(tls, head, ec)) return;
      const std::string target = head.substr(head.find(' ') + 1, head.find(' ', head.find(' ') + 1) - head.find(' ') - 1);
      if (target.find("close=1") != std::string::npos) return;
      dropNext = target.find("dropnext=1") != std::string::npos;
    }
  }

  // One answer; true when the connection stays open for another request.
  template <typename Stream>
  bool serveOne(Stream& tls, const std::string& head, boost::system::error_code& ec) {
    SeenRequest r;
    r.requestLine = head.substr(0, head.find("\r\n"));
    r.authorization = header(head, "authorization");
    r.userAgent = header(head, "user-agent");
    r.host = header(head, "host");
    r.clientCn = peerCn(tls);
    {
      std::lock_guard l(mu);
      seen.push_back(r);
    }
    std::istringstream rl(r.requestLine);
    std::string method, target;
    rl >> method >> target;
    auto write = [&](const std::string& s) {
      asio::write(tls, asio::buffer(s), ec);
      return !ec;
    };
    auto chunk = [&](const std::string& s) {
      std::ostringstream o;
      o << std::hex << s.size() << "\r\n" << s << "\r\n";
      return write(o.str());
    };
    auto line = [](int i) {
      return R"({"type":"ADDED","object":{"metadata":{"name":"o)" + std::to_string(i) + R"(","resourceVersion":")" + std::to_string(i + 1) +
             "\"}}}\n";
    };
    if (target.rfind("/status/", 0) == 0) {
      int code = std::atoi(target.c_str() + 8);
      std::string body = R"({"kind":"Status","code":)" + std::to_string(code) + "}";
      write("HTTP/1.1 " + std::to_string(code) + " X\r\nContent-Type: application/json\r\nRetry-After: 1\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
    } else if (target.rfind("/big", 0) == 0 || target.rfind("/longline", 0) == 0) {
      // mib MiB and one byte more, never a newline: /big as a whole body (chunked=1: without a
      // Content-Length, so the client only learns the size by reading), /longline as a watch stream
      // that then goes silent.
      const bool stream = target.rfind("/longline", 0) == 0;
      const bool chunked = stream || queryInt(target, "chunked", 0) == 1;
      const size_t total = static_cast<size_t>(queryInt(target, "mib", 1)) * 1024 * 1024 + 1;
      std::string head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n";
      head += chunked ? "Transfer-Encoding: chunked\r\n\r\n" : "Content-Length: " + std::to_string(total) + "\r\n\r\n";
      if (!write(head)) return false;
      const std::string piece(256 * 1024, 'x');
      for (size_t sent = 0; sent < total && !stopping;) {
        const std::string part = piece.substr(0, std::min(piece.size(), total - sent));
        if (!(chunked ? chunk(part) : write(part))) return false;
        sent += part.size();
      }
      if (stream) {
        waitForClientToLeave(tls);
        return false;
      }
      if (chunked) write("0\r\n\r\n");
    } else if (target.find("watch=1") != std::string::npos) {
      // Two events, an ERROR 410, then silence: the client has to drop the stream by itself.
      write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
      chunk(line(0));
      chunk(line(1) + R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old"}})"
                      "\n");
      waitForClientToLeave(tls);
      return false;
    } else if (target.rfind("/stream", 0) == 0 || target.rfind("/stall", 0) == 0) {
      bool stall = target.rfind("/stall", 0) == 0;
      int n = stall ? 1 : queryInt(target, "n", 3);
      int ms = queryInt(target, "ms", 100);
      if (!write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"))
        return false;
      for (int i = 0; i < n && !stopping; ++i) {
        if (!chunk(line(i))) return false;
        if (!stall && i + 1 < n) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
      }
      if (stall) {
        waitForClientToLeave(tls);
        return false;
      }
      write("0\r\n\r\n");
    } else if (target.rfind("/keep", 0) == 0) {
      const std::string body = R"({"kind":"Ok","path":")" + target + "\"}";
      return write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                   body);
    } else {
      std::string body = R"({"kind":"Ok","path":")" + target + "\"}";
      write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
            "\r\nConnection: close\r\n\r\n" + body);
    }
    finish(tls, ec);
    return false;
  }
};

TlsTestServer::TlsTestServer(const std::string& certFile, const std::string& keyFile, const std::string& requireClientCertFromCa)
    : impl_(std::make_unique<Impl>()) {
  impl_->ctx.use_certificate_chain_file(certFile);
  impl_->ctx.use_private_key_file(keyFile, asio::ssl::context::pem);
  if (!requireClientCertFromCa.empty()) {
    impl_->ctx.load_verify_file(requireClientCertFromCa);
    impl_->ctx.set_verify_mode(asio::ssl::verify_peer | asio::ssl::verify_fail_if_no_peer_cert);
  }
  listen();
}

TlsTestServer::TlsTestServer(PlainHttp) : impl_(std::make_unique<Impl>()) {
  impl_->plain = true;
  listen();
}

void TlsTestServer::listen() {
  tcp::endpoint ep(asio::ip::make_address("127.0.0.1"), 0);
  impl_->acceptor.open(ep.protocol());
  impl_->acceptor.set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor.bind(ep);
  impl_->acceptor.listen();
  impl_->acceptor.non_blocking(true);
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->acceptThread = std::thread([this] { impl_->acceptLoop(); });
}

TlsTestServer::~TlsTestServer() {
  impl_->stopping = true;
  impl_->acceptThread.join();
  std::vector<std::thread> ws;
  {
    std::lock_guard l(impl_->mu);
    ws.swap(impl_->workers);
  }
  for (auto& w : ws) w.join();
}

int TlsTestServer::connections() const { return impl_->connections; }
int TlsTestServer::closedConnections() const { return impl_->closed; }

std::vector<SeenRequest> TlsTestServer::seen() {
  std::lock_guard l(impl_->mu);
  return impl_->seen;
}

namespace {
void writeFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) throw std::runtime_error("cannot write " + path);
}

testpki::TestCa makeCa(const std::string& dir, const std::string& name) {
  testpki::CaOptions options;
  options.commonName = name;
  options.lifetime = std::chrono::hours(48);
  auto ca = testpki::makeCa(options);
  writeFile(dir + "/" + name + ".crt", ca.certPem());
  writeFile(dir + "/" + name + ".key", testpki::keyPem(ca.key.get()));
  return ca;
}

void makeLeaf(const std::string& dir, const testpki::TestCa& ca, const std::string& name, testpki::LeafOptions options) {
  options.keyRole = "tls-" + name;
  auto leaf = testpki::issueCert(ca, options);
  writeFile(dir + "/" + name + ".crt", leaf.certPem());
  writeFile(dir + "/" + name + ".key", testpki::keyPem(leaf.key.get()));
}
}  // namespace

TestPki::TestPki() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "k8sclient-pki-XXXXXX").string();
  dir = mkdtemp(tmpl.data());
  auto ca = makeCa(dir, "ca");
  makeCa(dir, "otherca");
  makeLeaf(dir, ca, "server",
           {.subject = {{"CN", "server"}}, .dnsNames = {"localhost"}, .ips = {"127.0.0.1"}, .extendedKeyUsages = {"serverAuth"}});
  makeLeaf(dir, ca, "wrongname", {.subject = {{"CN", "other"}}, .dnsNames = {"other.example"}, .extendedKeyUsages = {"serverAuth"}});
  makeLeaf(dir, ca, "client", {.subject = {{"O", "system:masters"}, {"CN", "admin"}}, .extendedKeyUsages = {"clientAuth"}});
  caCrt = dir + "/ca.crt";
  caKey = dir + "/ca.key";
  otherCaCrt = dir + "/otherca.crt";
  serverCrt = dir + "/server.crt";
  serverKey = dir + "/server.key";
  wrongNameCrt = dir + "/wrongname.crt";
  wrongNameKey = dir + "/wrongname.key";
  clientCrt = dir + "/client.crt";
  clientKey = dir + "/client.key";
}

TestPki::~TestPki() {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

std::string TestPki::read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace k8stest
