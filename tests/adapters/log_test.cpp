#include "adapters/log.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace ledgerd;

TEST_CASE("log lines are logfmt with quoting where needed") {
  auto line = log::format(log::level::warn, "supervisor", "child restarted",
                          {{"child", "health"},
                           {"restarts", 2},
                           {"reason", "boom \"x\""},
                           {"ok", true}});
  CHECK(line.rfind("ts=", 0) == 0);
  CHECK(line.find(" level=warn component=supervisor msg=\"child restarted\""
                  " child=health restarts=2 reason=\"boom \\\"x\\\"\""
                  " ok=true")
        != std::string::npos);
}

TEST_CASE("log level filters and the sink receives whole lines") {
  std::vector<std::string> lines;
  log::set_sink([&](const std::string& x) {
    lines.push_back(x);
  });
  log::set_level(log::level::warn);
  log::info("t", "dropped");
  log::error("t", "kept", {{"tenant", "acme"}});
  log::set_level(log::level::info);
  log::set_sink({});
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].find("msg=kept tenant=acme") != std::string::npos);
  CHECK(log::parse_level("debug") == log::level::debug);
  CHECK_FALSE(log::parse_level("verbose").has_value());
}
