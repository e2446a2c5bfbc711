// ledgerd-sim: runs the provider simulator until SIGINT or SIGTERM.
//
//   ledgerd-sim [--host H] [--port P] [--time-scale X] [--seed N]
//               [--seed-tenants FILE.json] [--profile default|adversarial]
//               [--quirk NAME=VALUE]... [--credit-copies-reference B]
//   ledgerd-sim --help       lists the quirks
//
// Prints "ledgerd-sim listening on http://HOST:PORT" once ready.

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>

#include "sim/simulator.hpp"

namespace {

using ledgerd::sim::sim_options;

constexpr const char* usage_line
  = "usage: ledgerd-sim [--host H] [--port P] [--time-scale X] [--seed N] "
    "[--seed-tenants FILE.json] [--profile default|adversarial] "
    "[--quirk NAME=VALUE]... [--credit-copies-reference true|false]\n";

[[noreturn]] void usage(const std::string& error) {
  std::cerr << "ledgerd-sim: " << error << "\n" << usage_line;
  std::exit(2);
}

[[noreturn]] void help() {
  std::cout << usage_line
            << "\nQuirks (provider behaviours shared/provider-facts.md marks "
               "unknown or inferred;\nthe first value is the default, "
               "--profile adversarial takes the marked one):\n";
  for (const auto& d : ledgerd::sim::quirk_defs()) {
    std::cout << "  " << d.name << " =";
    for (auto v : d.values)
      std::cout << " " << v << (v == d.adversarial ? "*" : "");
    std::cout << "\n      " << d.about << "\n";
  }
  std::exit(0);
}

bool boolean(const std::string& value) {
  if (value != "true" && value != "false")
    throw std::invalid_argument{"not true or false"};
  return value == "true";
}

struct cli {
  sim_options opts;
  std::string seed_file;
};

void quirk(cli& out, std::string_view name, std::string_view value) {
  if (auto err = out.opts.quirks.set(name, value); !err.empty())
    usage(err);
}

void quirk(cli& out, std::string_view assignment) {
  if (auto err = out.opts.quirks.set(assignment); !err.empty())
    usage(err);
}

/// A profile replaces every quirk: give it before any --quirk.
void profile(cli& out, const std::string& name) {
  auto p = ledgerd::sim::quirk_set::profile(name);
  if (!p)
    usage("unknown profile " + name + " (known: default, adversarial)");
  out.opts.quirks = *p;
}

cli parse(int argc, char** argv) {
  cli out;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h")
      help();
    if (i + 1 >= argc)
      usage("missing value for " + flag);
    std::string value = argv[++i];
    try {
      if (flag == "--host")
        out.opts.host = value;
      else if (flag == "--port")
        out.opts.port = static_cast<uint16_t>(std::stoul(value));
      else if (flag == "--time-scale")
        out.opts.time_scale = std::stod(value);
      else if (flag == "--seed")
        out.opts.seed = std::stoull(value);
      else if (flag == "--seed-tenants")
        out.seed_file = value;
      else if (flag == "--credit-copies-reference")
        quirk(out, "fortnox.credit_copies_reference",
              boolean(value) ? "true" : "false");
      else if (flag == "--quirk")
        quirk(out, value);
      else if (flag == "--profile")
        profile(out, value);
      else
        usage("unknown flag " + flag);
    } catch (const std::logic_error&) {
      usage("bad value for " + flag + ": " + value);
    }
  }
  return out;
}

/// Creates the tenants of a JSON array of POST /sim/tenants bodies and
/// reports their tokens on stderr.
void seed(ledgerd::sim::simulator& sim, const std::string& file) {
  std::ifstream in{file};
  if (!in)
    usage("cannot read " + file);
  auto specs = nlohmann::json::parse(in);
  for (const auto& spec : specs) {
    auto tokens = sim.add_tenant(spec);
    std::cerr << "ledgerd-sim: tenant " << spec.value("provider", "") << "/"
              << spec.value("tenant", "") << " " << tokens.dump() << "\n";
  }
}

} // namespace

int main(int argc, char** argv) {
  auto args = parse(argc, argv);
  // Block the signals before any thread starts; sigwait takes them below.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  try {
    ledgerd::sim::simulator sim{args.opts};
    sim.start();
    if (!args.seed_file.empty())
      seed(sim, args.seed_file);
    std::cout << "ledgerd-sim listening on http://" << args.opts.host << ":"
              << sim.port() << std::endl;
    int sig = 0;
    sigwait(&signals, &sig);
    sim.stop();
  } catch (const std::exception& e) {
    std::cerr << "ledgerd-sim: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
