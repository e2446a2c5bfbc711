// The HTTP client over TLS against a Beast TLS server on loopback, with a
// self-signed certificate made at test time (EC P-256 via the OpenSSL C API,
// no files shipped): trusted through `ca_file`, untrusted by default, and
// accepted without verification when asked to.
#include "adapters/http/asio.hpp"
#include "adapters/http/client.hpp"
#include "tests/support/quiet_log.hpp"

#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <unistd.h>

using namespace ledgerd::http;
using namespace std::chrono_literals;
using ledgerd::test::quiet_log;

namespace {

namespace ssl = boost::asio::ssl;

struct key_and_cert {
  std::string key_pem;
  std::string cert_pem;
};

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  auto n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

/// A self-signed certificate for `san` (e.g. "DNS:localhost,IP:127.0.0.1").
key_and_cert make_cert(const std::string& cn, const std::string& san) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{EVP_EC_gen("P-256"),
                                                          EVP_PKEY_free};
  std::unique_ptr<X509, decltype(&X509_free)> cert{X509_new(), X509_free};
  REQUIRE(key);
  REQUIRE(cert);
  auto* x = cert.get();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key.get());
  auto* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  auto* ext
    = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  REQUIRE(ext != nullptr);
  X509_add_ext(x, ext, -1);
  X509_EXTENSION_free(ext);
  REQUIRE(X509_sign(x, key.get(), EVP_sha256()) > 0);
  key_and_cert out;
  std::unique_ptr<BIO, decltype(&BIO_free)> kb{BIO_new(BIO_s_mem()), BIO_free};
  PEM_write_bio_PrivateKey(kb.get(), key.get(), nullptr, nullptr, 0, nullptr,
                           nullptr);
  out.key_pem = bio_string(kb.get());
  std::unique_ptr<BIO, decltype(&BIO_free)> cb{BIO_new(BIO_s_mem()), BIO_free};
  PEM_write_bio_X509(cb.get(), x);
  out.cert_pem = bio_string(cb.get());
  return out;
}

/// A PEM file that is removed with the object.
class temp_file {
public:
  explicit temp_file(const std::string& content) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path()
            / ("ledgerd-ca-" + std::to_string(::getpid()) + "-"
               + std::to_string(++counter) + ".pem");
    std::ofstream{path_} << content;
  }

  ~temp_file() {
    std::error_code ec;
    std::filesystem::remove(path_, ec);
  }

  std::string path() const {
    return path_.string();
  }

private:
  std::filesystem::path path_;
};

using tls_stream = beast::ssl_stream<beast::tcp_stream>;

/// Answers one request per connection with "secure <SNI name>".
struct tls_session : std::enable_shared_from_this<tls_session> {
  tls_session(tcp::socket s, ssl::context& ctx)
    : stream(std::move(s), ctx) {}

  void run() {
    beast::get_lowest_layer(stream).expires_after(5s);
    stream.async_handshake(ssl::stream_base::server,
                           [self = shared_from_this()](beast::error_code ec) {
                             if (!ec)
                               self->read();
                           });
  }

  void read() {
    bhttp::async_read(
      stream, buffer, req,
      [self = shared_from_this()](beast::error_code ec, std::size_t) {
        if (!ec)
          self->respond();
      });
  }

  void respond() {
    const char* sni
      = SSL_get_servername(stream.native_handle(), TLSEXT_NAMETYPE_host_name);
    res.result(200);
    res.version(11);
    res.body() = std::string{"secure "} + (sni ? sni : "-");
    res.keep_alive(false);
    res.prepare_payload();
    bhttp::async_write(
      stream, res, [self = shared_from_this()](beast::error_code, std::size_t) {
        beast::get_lowest_layer(self->stream).close();
      });
  }

  tls_stream stream;
  beast::flat_buffer buffer;
  bhttp::request<bhttp::string_body> req;
  bhttp::response<bhttp::string_body> res;
};

class tls_server {
public:
  explicit tls_server(const key_and_cert& kc) {
    ctx_.use_certificate_chain(asio::buffer(kc.cert_pem));
    ctx_.use_private_key(asio::buffer(kc.key_pem), ssl::context::pem);
    accept();
    thread_ = std::thread{[this] {
      ioc_.run();
    }};
  }

  ~tls_server() {
    ioc_.stop();
    thread_.join();
  }

  tls_server(const tls_server&) = delete;
  tls_server& operator=(const tls_server&) = delete;

  std::string url(const std::string& host) const {
    return "https://" + host + ":" + std::to_string(port_) + "/";
  }

private:
  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket s) {
      if (ec)
        return;
      std::make_shared<tls_session>(std::move(s), ctx_)->run();
      accept();
    });
  }

  ssl::context ctx_{ssl::context::tls_server};
  asio::io_context ioc_;
  tcp::acceptor acceptor_{ioc_, {asio::ip::make_address("127.0.0.1"), 0}};
  uint16_t port_ = acceptor_.local_endpoint().port();
  std::thread thread_;
};

client_options tls_options() {
  client_options opts;
  opts.connect_timeout = 5s;
  opts.read_timeout = 5s;
  opts.total_timeout = 10s;
  return opts;
}

client_request get(std::string url) {
  client_request req;
  req.url = std::move(url);
  return req;
}

/// One certificate for the whole file: key generation is the slow part.
const key_and_cert& localhost_cert() {
  static const auto kc = make_cert("localhost", "DNS:localhost,IP:127.0.0.1");
  return kc;
}

} // namespace

TEST_CASE("https with the certificate as ca_file succeeds") {
  tls_server srv{localhost_cert()};
  temp_file ca{localhost_cert().cert_pem};
  auto opts = tls_options();
  opts.ca_file = ca.path();
  client c{opts};
  auto by_name = c.send_sync(get(srv.url("localhost")));
  CHECK(by_name.ok());
  CHECK(by_name.body == "secure localhost");
  auto by_ip = c.send_sync(get(srv.url("127.0.0.1")));
  CHECK(by_ip.ok());
  // No SNI for IP literals (RFC 6066).
  CHECK(by_ip.body == "secure -");
}

TEST_CASE("https with the default trust store rejects a self-signed peer") {
  tls_server srv{localhost_cert()};
  quiet_log quiet;
  client c{tls_options()};
  auto r = c.send_sync(get(srv.url("localhost")));
  CHECK(r.error == failure::network);
  CHECK(r.status == 0);
  CHECK(r.message.find("TLS handshake") != std::string::npos);
}

TEST_CASE("https rejects a trusted certificate for another host name") {
  auto other = make_cert("other.example", "DNS:other.example");
  tls_server srv{other};
  temp_file ca{other.cert_pem};
  quiet_log quiet;
  auto opts = tls_options();
  opts.ca_file = ca.path();
  client c{opts};
  CHECK(c.send_sync(get(srv.url("localhost"))).error == failure::network);
  CHECK(c.send_sync(get(srv.url("127.0.0.1"))).error == failure::network);
}

TEST_CASE("https without verification accepts any certificate") {
  tls_server srv{localhost_cert()};
  auto opts = tls_options();
  opts.verify_tls = false;
  client c{opts};
  auto r = c.send_sync(get(srv.url("localhost")));
  CHECK(r.ok());
  CHECK(r.body == "secure localhost");
}

TEST_CASE("an unreadable ca_file fails at construction") {
  auto opts = tls_options();
  opts.ca_file = "/nonexistent/ledgerd-ca.pem";
  CHECK_THROWS_AS(client{opts}, std::system_error);
}
