// Tests of wss:// in the WebSocket client: a TLS WebSocket server on
// loopback with a self-signed certificate made here (OpenSSL), trusted only
// through ws_options::ca_file. Checks that the chain and the host name are
// verified and that a trusted server works end to end.
#include "adapters/http/asio.hpp"
#include "adapters/http/ws_client.hpp"
// After asio.hpp (it orders <utility>):
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <catch2/catch.hpp>

#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <thread>
#include <unistd.h>

using namespace ledgerd;
using namespace std::chrono_literals;
namespace ssl = boost::asio::ssl;
namespace websocket = boost::beast::websocket;

namespace {

std::string pem_of(EVP_PKEY* key, X509* cert) {
  BIO* bio = BIO_new(BIO_s_mem());
  if (key != nullptr)
    PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  else
    PEM_write_bio_X509(bio, cert);
  char* data = nullptr;
  auto len = BIO_get_mem_data(bio, &data);
  std::string out{data, static_cast<size_t>(len)};
  BIO_free(bio);
  return out;
}

void add_ext(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  REQUIRE(ext != nullptr);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

/// A self-signed certificate for "localhost", and its key, as PEM.
struct self_signed {
  std::string cert;
  std::string key;

  self_signed() {
    EVP_PKEY* pkey = EVP_EC_gen("P-256");
    REQUIRE(pkey != nullptr);
    X509* x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600);
    X509_set_pubkey(x, pkey);
    auto* name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(
      name, "CN", MBSTRING_ASC,
      reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(x, name);
    add_ext(x, NID_basic_constraints, "critical,CA:TRUE");
    add_ext(x, NID_subject_alt_name, "DNS:localhost");
    REQUIRE(X509_sign(x, pkey, EVP_sha256()) > 0);
    cert = pem_of(nullptr, x);
    key = pem_of(pkey, nullptr);
    X509_free(x);
    EVP_PKEY_free(pkey);
  }
};

/// A file removed at scope exit.
struct temp_file {
  std::string path;

  explicit temp_file(const std::string& content) {
    char name[] = "/tmp/ledgerd-wss-XXXXXX";
    int fd = mkstemp(name);
    REQUIRE(fd >= 0);
    ::close(fd);
    path = name;
    std::ofstream{path} << content;
  }

  ~temp_file() {
    std::remove(path.c_str());
  }
};

/// Serves one TLS WebSocket connection: echoes messages until it ends.
/// Failed handshakes (the client refused the certificate) end it too.
class tls_echo_server {
public:
  explicit tls_echo_server(const self_signed& id) {
    ctx_.use_certificate_chain(http::asio::buffer(id.cert));
    ctx_.use_private_key(http::asio::buffer(id.key), ssl::context::pem);
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread{[this] {
      serve();
    }};
  }

  ~tls_echo_server() {
    thread_.join();
  }

  uint16_t port() const {
    return port_;
  }

private:
  void serve() {
    try {
      auto sock = acceptor_.accept();
      websocket::stream<boost::beast::ssl_stream<http::tcp::socket>> ws{
        std::move(sock), ctx_};
      ws.next_layer().handshake(ssl::stream_base::server);
      ws.accept();
      for (;;) {
        boost::beast::flat_buffer buf;
        ws.read(buf);
        ws.text(true);
        ws.write(buf.data());
      }
    } catch (const std::exception&) {
      // The client went away or refused us: done.
    }
  }

  http::asio::io_context ioc_;
  ssl::context ctx_{ssl::context::tls_server};
  http::tcp::acceptor acceptor_{ioc_,
                                {http::asio::ip::make_address("127.0.0.1"), 0}};
  uint16_t port_ = 0;
  std::thread thread_;
};

struct outcome {
  std::mutex mtx;
  std::condition_variable cv;
  bool opened = false;
  std::string echoed;
  std::string closed;
  bool done = false;
};

/// Connects, sends "ping-text" once open, closes after the echo.
void run(http::ws_client& client, const std::string& url, outcome& out) {
  client.connect(
    url,
    [&] {
      std::lock_guard g{out.mtx};
      out.opened = true;
      client.send_text("ping-text");
    },
    [&](std::string text) {
      std::lock_guard g{out.mtx};
      out.echoed = std::move(text);
      client.close();
    },
    [&](std::string why) {
      std::lock_guard g{out.mtx};
      out.closed = std::move(why);
      out.done = true;
      out.cv.notify_all();
    });
  std::unique_lock lock{out.mtx};
  REQUIRE(out.cv.wait_for(lock, 10s, [&] {
    return out.done;
  }));
}

} // namespace

TEST_CASE("wss works with a server the CA file vouches for") {
  self_signed id;
  temp_file ca{id.cert};
  tls_echo_server srv{id};
  http::ws_options opts;
  opts.ca_file = ca.path;
  http::ws_client client{opts};
  outcome out;
  run(client, "wss://localhost:" + std::to_string(srv.port()) + "/t", out);
  CHECK(out.opened);
  CHECK(out.echoed == "ping-text");
  CHECK(out.closed == "closed by client");
}

TEST_CASE("wss refuses a certificate no trusted CA signed") {
  self_signed id;
  tls_echo_server srv{id};
  http::ws_client client; // system trust store only
  outcome out;
  run(client, "wss://localhost:" + std::to_string(srv.port()) + "/t", out);
  CHECK_FALSE(out.opened);
  CHECK(out.closed.find("TLS") == 0);
}

TEST_CASE("wss refuses a certificate for another host name") {
  self_signed id;
  temp_file ca{id.cert};
  tls_echo_server srv{id};
  http::ws_options opts;
  opts.ca_file = ca.path;
  http::ws_client client{opts};
  outcome out;
  // Trusted, but issued for "localhost", not "127.0.0.1".
  run(client, "wss://127.0.0.1:" + std::to_string(srv.port()) + "/t", out);
  CHECK_FALSE(out.opened);
  CHECK(out.closed.find("TLS") == 0);
}
