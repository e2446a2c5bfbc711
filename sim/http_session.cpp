#include "sim/http_session.hpp"

#include <sstream>

#include "sim/civil_time.hpp"
#include "sim/url.hpp"

namespace ledgerd::sim {

namespace {

api_request to_api(const bhttp::request<bhttp::string_body>& req) {
  api_request out;
  out.method = to_string(req.method_string());
  auto target = to_string(req.target());
  out.segments = path_segments(target);
  out.query = parse_form(query_part(target));
  out.authorization = to_string(req[bhttp::field::authorization]);
  out.tenant_id = to_string(req["TenantId"]);
  out.host = to_string(req[bhttp::field::host]);
  out.body = req.body();
  return out;
}

bool topics_target(const bhttp::request<bhttp::string_body>& req) {
  auto segs = path_segments(to_string(req.target()));
  return segs.size() == 2 && segs[0] == "fortnox" && segs[1] == "topics-v1";
}

} // namespace

http_session::http_session(tcp::socket socket, world& w, upgrade_fn upgrade)
  : stream_(std::move(socket))
  , world_(w)
  , upgrade_(std::move(upgrade))
  , timer_(stream_.get_executor()) {}

void http_session::run() {
  do_read();
}

void http_session::do_read() {
  req_ = {};
  bhttp::async_read(
    stream_, buffer_, req_,
    [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->on_read(ec);
    });
}

void http_session::on_read(beast::error_code ec) {
  if (ec)
    return close();
  if (websocket::is_upgrade(req_) && topics_target(req_)) {
    upgrade_(stream_.release_socket(), std::move(req_));
    return;
  }
  auto api = to_api(req_);
  auto split = split_latency(world_, api);
  if (!split)
    return answer(route(world_, api));
  // The request is still on its way: the provider counts it only after.
  api.answer_latency = split->after;
  timer_.expires_after(split->before);
  timer_.async_wait(
    [self = shared_from_this(), api = std::move(api)](beast::error_code) {
      self->answer(route(self->world_, api));
    });
}

void http_session::answer(routed r) {
  if (r.pre == pre_fault::reset)
    return close();
  if (r.pre == pre_fault::timeout)
    return hang();
  if (r.post == post_fault::drop_response)
    return close();
  post_ = r.post;
  res_ = {static_cast<bhttp::status>(r.response.status), req_.version()};
  res_.set(bhttp::field::server, "ledgerd-sim");
  // Stamped when the answer is made, as real servers do (RFC 9110 6.6.1).
  res_.set(bhttp::field::date, format_http_date(world_.now()));
  if (!r.response.content_type.empty())
    res_.set(bhttp::field::content_type, r.response.content_type);
  for (const auto& [name, value] : r.response.headers)
    res_.set(name, value);
  res_.body() = r.response.body();
  res_.keep_alive(req_.keep_alive());
  res_.prepare_payload();
  if (r.latency.count() == 0)
    return send();
  timer_.expires_after(r.latency);
  timer_.async_wait([self = shared_from_this()](beast::error_code) {
    self->send();
  });
}

void http_session::send() {
  if (post_ == post_fault::truncate)
    return send_truncated();
  bhttp::async_write(
    stream_, res_,
    [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec || !self->res_.keep_alive())
        return self->close();
      self->do_read();
    });
}

void http_session::send_truncated() {
  // The full Content-Length, then half the body, then the connection ends.
  std::ostringstream head;
  head << res_.base();
  raw_ = head.str() + res_.body().substr(0, res_.body().size() / 2);
  asio::async_write(
    stream_.socket(), asio::buffer(raw_),
    [self = shared_from_this()](beast::error_code, std::size_t) {
      self->close();
    });
}

void http_session::hang() {
  // Never answer; keep reading so a client that gives up and closes frees
  // the session.
  stream_.async_read_some(
    buffer_.prepare(4096),
    [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->buffer_.commit(n);
      self->buffer_.consume(self->buffer_.size());
      if (ec)
        return self->close();
      self->hang();
    });
}

void http_session::close() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
}

} // namespace ledgerd::sim
