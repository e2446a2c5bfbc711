#include "actors/event_stream.hpp"

#include "adapters/fortnox/topics_protocol.hpp"
#include "adapters/log.hpp"

#include <algorithm>
#include <set>

namespace ledgerd {

namespace {

namespace topics = fortnox::topics;
using self_ptr = event_stream_actor::stateful_pointer<event_stream_state>;
using st_t = event_stream_state;

constexpr std::string_view component = "event_stream";

void fail(self_ptr self, std::string reason);

// -- socket -------------------------------------------------------------------

/// Callbacks for connection `conn`: they run on the socket's io thread and
/// only post to the actor. A weak handle, so the socket (owned by the
/// actor's state) does not keep its owner alive.
void open_socket(self_ptr self) {
  auto& st = self->state;
  st.phase = st_t::connecting;
  auto conn = st.connection;
  caf::weak_actor_ptr weak{self->ctrl()};
  auto post = [weak, conn](uint8_t kind, std::string data) {
    if (auto strong = weak.lock())
      caf::anon_send(caf::actor_cast<event_stream_actor>(strong),
                     ws_event{conn, kind, std::move(data)});
  };
  st.socket->connect(
    st.opts.url,
    [post] {
      post(ws_event::opened, {});
    },
    [post](std::string text) {
      post(ws_event::text, std::move(text));
    },
    [post](std::string why) {
      post(ws_event::closed, std::move(why));
    });
}

/// Sends a command; the phase it enters must end before command_timeout.
void send_command(self_ptr self, std::string text, uint8_t phase) {
  auto& st = self->state;
  st.phase = phase;
  st.socket->send_text(std::move(text));
  self->delayed_send(
    self, st.opts.command_timeout,
    ws_event{st.connection, ws_event::deadline, std::to_string(phase)});
}

// -- tokens -------------------------------------------------------------------

void on_tokens_ready(self_ptr self) {
  auto& st = self->state;
  auto usable
    = std::any_of(st.tokens.begin(), st.tokens.end(), [](const auto& kv) {
        return !kv.second.access_token.empty();
      });
  if (!usable)
    return fail(self, "no tenant has a valid access token");
  open_socket(self);
}

void on_token(self_ptr self, uint64_t conn, const std::string& tenant,
              token_update& up) {
  auto& st = self->state;
  if (conn != st.connection || st.phase != st_t::fetching_tokens)
    return;
  auto& tok = st.tokens[tenant];
  if (up.error.empty()) {
    tok.access_token = std::move(up.access_token);
    tok.version = up.version;
    tok.stale = 0;
  } else {
    tok.access_token.clear();
    log::warn(
      component, "no access token for the event stream",
      {{"tenant", tenant}, {"error", up.error}, {"message", up.message}});
  }
  if (--st.tokens_waiting == 0)
    on_tokens_ready(self);
}

void fetch_tokens(self_ptr self) {
  auto& st = self->state;
  st.phase = st_t::fetching_tokens;
  st.tokens_waiting = st.opts.tenants.size();
  auto conn = st.connection;
  for (const auto& tenant : st.opts.tenants) {
    token_request req{tenant, st.opts.provider, st.tokens[tenant].stale};
    self->request(st.opts.tokens, st.opts.token_timeout, std::move(req))
      .then(
        [self, conn, tenant](token_update& up) {
          on_token(self, conn, tenant, up);
        },
        [self, conn, tenant](caf::error& err) {
          token_update up;
          up.error = "transient";
          up.message = self->system().render(err);
          on_token(self, conn, tenant, up);
        });
  }
}

// -- connecting ---------------------------------------------------------------

bool load_offsets(self_ptr self) {
  auto& st = self->state;
  if (st.offsets_loaded)
    return true;
  try {
    for (auto& [topic, at] : st.opts.offsets->load(st.opts.stream_key)) {
      auto& ts = st.topics[topic];
      ts.committed = at.offset;
      ts.committed_position = ts.position = at.position;
    }
    st.offsets_loaded = true;
    return true;
  } catch (const std::exception& e) {
    // Without the offsets a subscription would skip the events in between.
    fail(self, std::string{"cannot load stream offsets: "} + e.what());
    return false;
  }
}

void start_connect(self_ptr self) {
  auto& st = self->state;
  if (st.draining || (st.phase != st_t::idle && st.phase != st_t::backoff))
    return;
  ++st.connection;
  if (st.opts.tenants.empty()) {
    st.phase = st_t::idle;
    st.last_error = "no tenants";
    return;
  }
  if (load_offsets(self))
    fetch_tokens(self);
}

/// Forgets what the broken connection left unsettled: the server replays
/// everything after the committed offsets, and those events must pass the
/// dedup again.
void reset_connection(self_ptr self) {
  auto& st = self->state;
  ++st.connection;
  st.tenant_of.clear();
  st.at_sink = 0;
  for (auto& [topic, ts] : st.topics) {
    for (const auto& u : ts.queue)
      st.dedup.forget(topic, u.offset);
    ts.queue.clear();
    ts.position = ts.committed_position;
  }
}

void fail(self_ptr self, std::string reason) {
  auto& st = self->state;
  log::warn(
    component, "event stream connection failed",
    {{"provider", st.opts.provider}, {"url", st.opts.url}, {"reason", reason}});
  st.last_error = std::move(reason);
  st.socket->close();
  reset_connection(self);
  // No events while down: the tenants poll at their normal pace again.
  if (st.opts.notify_disconnects && st.opts.sink)
    for (const auto& tenant : st.opts.tenants) {
      provider_event down;
      down.provider = st.opts.provider;
      down.tenant = tenant;
      down.type = std::string{stream_down_event};
      caf::anon_send(st.opts.sink, std::move(down));
    }
  if (st.draining) {
    st.phase = st_t::stopped;
    return;
  }
  st.phase = st_t::backoff;
  std::uniform_real_distribution<double> uniform{0, 1};
  auto delay
    = state::backoff_delay(st.opts.backoff, ++st.failures, uniform(st.rng));
  self->delayed_send(self, delay, reconnect_atom_v);
}

// -- commands -----------------------------------------------------------------

void map_tenants(self_ptr self, const topics::command_response& res) {
  auto& st = self->state;
  for (auto& [tenant, tok] : st.tokens) {
    if (tok.access_token.empty())
      continue;
    auto i = res.tenant_ids.find(tok.access_token);
    if (i != res.tenant_ids.end() && !i->second.empty())
      st.tenant_of[i->second] = tenant;
    auto invalid = std::find(res.invalid_tokens.begin(),
                             res.invalid_tokens.end(), tok.access_token);
    if (invalid != res.invalid_tokens.end()) {
      tok.stale = tok.version;
      log::warn(component, "the Topics API rejected a tenant's access token",
                {{"tenant", tenant}, {"version", tok.version}});
    }
  }
}

void send_add_topics(self_ptr self) {
  auto& st = self->state;
  std::vector<topics::topic_start> list;
  for (const auto& topic : st.opts.topics)
    list.push_back({topic, st.topics[topic].committed});
  send_command(self, topics::add_topics_command(list), st_t::adding_topics);
}

void on_response(self_ptr self, const topics::command_response& res) {
  auto& st = self->state;
  auto expected = st.phase == st_t::adding_tenants  ? "add-tenants-v1"
                  : st.phase == st_t::adding_topics ? "add-topics-v1"
                  : st.phase == st_t::subscribing   ? "subscribe-v1"
                                                    : "";
  if (res.command != expected) {
    log::warn(component, "unexpected response",
              {{"response", res.command}, {"result", res.result}});
    return;
  }
  if (!res.ok())
    return fail(self, res.command + " failed: " + res.result
                        + (res.message.empty() ? "" : " " + res.message));
  if (st.phase == st_t::adding_tenants) {
    map_tenants(self, res);
    if (st.tenant_of.empty())
      return fail(self, "add-tenants-v1 accepted no tenant");
    return send_add_topics(self);
  }
  if (st.phase == st_t::adding_topics) {
    for (const auto& t : res.invalid_topics)
      log::warn(component, "the Topics API rejected a topic", {{"topic", t}});
    return send_command(self, topics::subscribe_command(), st_t::subscribing);
  }
  st.phase = st_t::subscribed;
  st.failures = 0;
  log::info(component, "event stream subscribed",
            {{"provider", st.opts.provider},
             {"tenants", st.tenant_of.size()},
             {"connection", st.connection}});
}

void on_opened(self_ptr self) {
  auto& st = self->state;
  ++st.connects;
  std::vector<std::string> tokens;
  for (const auto& [tenant, tok] : st.tokens)
    if (!tok.access_token.empty())
      tokens.push_back(tok.access_token);
  send_command(self, topics::add_tenants_command(st.opts.client_secret, tokens),
               st_t::adding_tenants);
}

// -- events -------------------------------------------------------------------

void commit(self_ptr self, const std::string& topic,
            const pg::stream_position& at) {
  auto& st = self->state;
  const auto& offset = at.offset;
  try {
    if (!st.opts.offsets->commit(st.opts.stream_key, topic, at)) {
      // Another stream of this key stored a later position: ours is older
      // and must not move it back. The next connect resumes from theirs.
      log::info(component, "a later stream offset is stored already",
                {{"topic", topic}, {"offset", offset}});
      st.offsets_loaded = false;
      ++st.stale_commits;
      return;
    }
    auto& ts = st.topics[topic];
    ts.committed = offset;
    ts.committed_position = at.position;
  } catch (const std::exception& e) {
    // The next commit of this topic supersedes it; until then a reconnect
    // replays a little more (handled events again: idempotent).
    st.last_error = std::string{"cannot commit offset: "} + e.what();
    log::warn(component, "cannot commit a stream offset",
              {{"topic", topic}, {"offset", offset}, {"error", e.what()}});
  }
}

/// Commits the newest offset before which every event of `topic` is handled.
void settle(self_ptr self, const std::string& topic) {
  auto& queue = self->state.topics[topic].queue;
  pg::stream_position last;
  while (!queue.empty() && queue.front().handled) {
    last = {std::move(queue.front().offset), queue.front().position};
    queue.pop_front();
  }
  if (!last.offset.empty())
    commit(self, topic, last);
}

void maybe_finish_drain(self_ptr self) {
  auto& st = self->state;
  if (st.draining && st.at_sink == 0 && st.drain_promise.pending())
    st.drain_promise.deliver(true);
}

void on_handled(self_ptr self, uint64_t conn, const std::string& topic,
                const std::string& offset, bool ok, std::string why) {
  auto& st = self->state;
  if (conn != st.connection)
    return; // Already forgotten: the replay delivers it again.
  --st.at_sink;
  if (!ok) {
    fail(self, "the sink did not handle " + topic + " " + offset + ": " + why);
    return maybe_finish_drain(self);
  }
  for (auto& u : st.topics[topic].queue)
    if (u.offset == offset)
      u.handled = true;
  settle(self, topic);
  maybe_finish_drain(self);
}

void on_event(self_ptr self, topics::event& ev) {
  auto& st = self->state;
  auto& data = ev.data;
  if (!st.dedup.admit(data.topic, data.offset)) {
    ++st.duplicates;
    return;
  }
  auto& ts = st.topics[data.topic];
  if (data.offset == ts.committed) {
    // A replay that starts with the event committed last: handled already.
    ++st.duplicates;
    return;
  }
  auto position = ++ts.position;
  auto i = st.tenant_of.find(ev.tenant_id);
  if (i == st.tenant_of.end()) {
    // Not ours (or not any more): nothing to handle, but its offset counts.
    log::warn(component, "event of an unknown tenant",
              {{"tenant_id", ev.tenant_id}, {"topic", data.topic}});
    ts.queue.push_back({data.offset, true, position});
    return settle(self, data.topic);
  }
  ++st.events;
  st.last_event = caf::make_timestamp();
  ++st.at_sink;
  ts.queue.push_back({data.offset, false, position});
  data.provider = st.opts.provider;
  data.tenant = i->second;
  auto conn = st.connection;
  auto topic = data.topic;
  auto offset = data.offset;
  self->request(st.opts.sink, st.opts.sink_timeout, std::move(data))
    .then(
      [self, conn, topic, offset](bool ok) {
        on_handled(self, conn, topic, offset, ok, "answered false");
      },
      [self, conn, topic, offset](caf::error& err) {
        on_handled(self, conn, topic, offset, false,
                   self->system().render(err));
      });
}

void on_text(self_ptr self, const std::string& text) {
  auto msg = topics::parse(text);
  if (auto* res = std::get_if<topics::command_response>(&msg))
    return on_response(self, *res);
  if (auto* ev = std::get_if<topics::event>(&msg))
    return on_event(self, *ev);
  auto& other = std::get<topics::other_message>(msg);
  if (other.error)
    return fail(self, "server error: " + other.reason);
  log::warn(component, "unexpected message", {{"reason", other.reason}});
}

void on_socket(self_ptr self, ws_event& ev) {
  auto& st = self->state;
  if (ev.connection != st.connection || st.phase == st_t::stopped)
    return;
  switch (ev.kind) {
  case ws_event::opened:
    return on_opened(self);
  case ws_event::text:
    return on_text(self, ev.data);
  case ws_event::deadline:
    // Still in the phase that command entered: no answer came.
    if (ev.data == std::to_string(st.phase))
      fail(self, "no answer to a command within the command timeout");
    return;
  default:
    if (st.draining) {
      st.phase = st_t::stopped;
      return;
    }
    return fail(self, "connection closed: " + ev.data);
  }
}

// -- status -------------------------------------------------------------------

std::string_view state_name(uint8_t phase) {
  switch (phase) {
  case st_t::subscribed:
    return "subscribed";
  case st_t::backoff:
    return "backoff";
  case st_t::idle:
  case st_t::stopped:
    return "stopped";
  default:
    return "connecting";
  }
}

event_stream_status status_of(const event_stream_state& st) {
  event_stream_status out;
  out.provider = st.opts.provider;
  out.state = state_name(st.phase);
  out.connects = st.connects;
  out.events = st.events;
  out.last_activity = st.last_event;
  out.duplicates = st.duplicates;
  out.stale_commits = st.stale_commits;
  for (const auto& [topic, ts] : st.topics)
    if (!ts.committed.empty())
      out.offsets[topic] = ts.committed;
  std::set<std::string> tenants;
  for (const auto& [id, tenant] : st.tenant_of)
    tenants.insert(tenant);
  out.tenants.assign(tenants.begin(), tenants.end());
  out.last_error = st.last_error;
  return out;
}

caf::result<bool> on_drain(self_ptr self) {
  auto& st = self->state;
  st.draining = true;
  // Same connection number: answers for events in flight still commit.
  st.socket->close();
  st.phase = st_t::stopped;
  if (st.at_sink == 0)
    return true;
  st.drain_promise = self->make_response_promise<bool>();
  return st.drain_promise;
}

} // namespace

std::vector<event_stream_options>
event_streams_of(const config::node_config& cfg) {
  std::vector<event_stream_options> out;
  for (const auto& tenant : cfg.tenants) {
    const auto* conn = tenant.connection(config::provider_kind::fortnox);
    if (conn == nullptr || !conn->enabled || conn->websocket_url.empty())
      continue;
    auto same = [&](const event_stream_options& x) {
      return x.url == conn->websocket_url
             && x.stream_key == "fortnox:" + conn->client_id;
    };
    auto i = std::find_if(out.begin(), out.end(), same);
    if (i == out.end()) {
      event_stream_options opts;
      opts.url = conn->websocket_url;
      opts.client_secret = conn->client_secret;
      opts.stream_key = "fortnox:" + conn->client_id;
      out.push_back(std::move(opts));
      i = std::prev(out.end());
    }
    i->tenants.push_back(tenant.id);
  }
  return out;
}

event_stream_actor::behavior_type
event_stream(event_stream_actor::stateful_pointer<event_stream_state> self,
             event_stream_options opts) {
  auto& st = self->state;
  st.socket = std::make_unique<http::ws_client>(opts.socket);
  st.dedup = state::event_dedup{opts.dedup_window};
  st.opts = std::move(opts);
  self->send(self, reconnect_atom_v);
  return {
    [self](ws_event& ev) {
      on_socket(self, ev);
    },
    [self](reconnect_atom) {
      start_connect(self);
    },
    [self](caf::get_atom) {
      return status_of(self->state);
    },
    [self](drain_atom) {
      return on_drain(self);
    },
  };
}

} // namespace ledgerd
