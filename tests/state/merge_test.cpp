#include "state/merge.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <stdexcept>

using namespace std::chrono_literals;
using namespace ledgerd::state;
using nlohmann::json;

namespace {

using strings = std::vector<std::string>;

const merge_clock::time_point t0 = merge_clock::time_point{} + 1'000'000h;

// A customer in canonical shape (only the fields the tests need).
json customer(std::string name, std::string email) {
  return json{{"remote_id", "17"},
              {"name", std::move(name)},
              {"email", std::move(email)},
              {"city", "Lund"}};
}

merge_input input(std::optional<json> base, json local, json remote) {
  merge_input in;
  in.base = std::move(base);
  in.local.value = std::move(local);
  in.remote.value = std::move(remote);
  return in;
}

// Both sides changed "email" to different values.
merge_input email_clash() {
  return input(customer("Acme", "b@x"), customer("Acme", "l@x"),
               customer("Acme", "r@x"));
}

merge_policy with_rule(merge_rule default_rule) {
  merge_policy p;
  p.default_rule = default_rule;
  return p;
}

// A row of an invoice in canonical shape.
json row(int line_no, int64_t unit_price) {
  return json{{"line_no", line_no},
              {"article", "A1"},
              {"quantity", "1"},
              {"unit_price", unit_price},
              {"vat_percent", "25"}};
}

json invoice(int64_t total, json rows) {
  return json{{"remote_id", "1001"},
              {"external_ref", "inv-1"},
              {"customer_remote_id", "17"},
              {"currency", "SEK"},
              {"total", total},
              {"vat", total / 5},
              {"status", "draft"},
              {"due_date", "2024-02-01"},
              {"rows", std::move(rows)}};
}

merge_policy invoice_policy() {
  merge_policy p;
  p.critical = {"total", "vat", "rows", "customer_remote_id", "currency"};
  return p;
}

} // namespace

// -- rule_for -----------------------------------------------------------------

TEST_CASE("merge rule_for: override then manual for critical and _deleted "
          "then default",
          "[merge]") {
  merge_policy p;
  p.default_rule = merge_rule::remote_wins;
  p.critical = {"total"};
  CHECK(p.rule_for("email") == merge_rule::remote_wins);
  CHECK(p.rule_for("total") == merge_rule::manual);
  CHECK(p.rule_for(deleted_field) == merge_rule::manual);
  p.fields["total"] = merge_rule::local_wins;
  p.fields["_deleted"] = merge_rule::remote_wins;
  p.fields["email"] = merge_rule::last_write_wins;
  CHECK(p.rule_for("total") == merge_rule::local_wins);
  CHECK(p.rule_for(deleted_field) == merge_rule::remote_wins);
  CHECK(p.rule_for("email") == merge_rule::last_write_wins);
}

// -- cases 1-4 ----------------------------------------------------------------

TEST_CASE("merge case 1: nothing changed keeps the base and writes nothing",
          "[merge]") {
  auto b = customer("Acme", "a@x");
  auto r = merge(input(b, b, b), merge_policy{});
  CHECK(r.merged == b);
  CHECK(r.remote_changes.empty());
  CHECK(r.local_changes.empty());
  CHECK_FALSE(r.held());
  CHECK(r.deletion == merge_deletion::none);
}

TEST_CASE("merge case 2: a local change is pushed to the remote", "[merge]") {
  // The remote's tie side and a later remote time must not matter: only the
  // local side changed.
  auto in = input(customer("Acme", "a@x"), customer("Acme", "new@x"),
                  customer("Acme", "a@x"));
  in.local.changed_at = t0;
  in.remote.changed_at = t0 + 1h;
  auto r = merge(in, merge_policy{});
  CHECK(r.merged == customer("Acme", "new@x"));
  CHECK(r.remote_changes == strings{"email"});
  CHECK(r.local_changes.empty());
  CHECK_FALSE(r.held());
}

TEST_CASE("merge case 3: a remote change is applied locally", "[merge]") {
  auto in = input(customer("Acme", "a@x"), customer("Acme", "a@x"),
                  customer("Acme AB", "a@x"));
  in.local.changed_at = t0 + 1h;
  in.remote.changed_at = t0;
  auto p = merge_policy{};
  p.tie_winner = merge_side::local;
  auto r = merge(in, p);
  CHECK(r.merged == customer("Acme AB", "a@x"));
  CHECK(r.local_changes == strings{"name"});
  CHECK(r.remote_changes.empty());
}

TEST_CASE("merge cases 2 and 3 together: each side's field travels",
          "[merge]") {
  auto b = customer("Acme", "a@x");
  auto r
    = merge(input(b, customer("Acme", "new@x"), customer("Acme AB", "a@x")),
            with_rule(merge_rule::manual));
  CHECK(r.merged == customer("Acme AB", "new@x"));
  CHECK(r.remote_changes == strings{"email"});
  CHECK(r.local_changes == strings{"name"});
  CHECK_FALSE(r.held());
}

TEST_CASE("merge case 4: both changed to the same value converge without "
          "writes",
          "[merge]") {
  auto same = customer("Acme", "same@x");
  auto r = merge(input(customer("Acme", "a@x"), same, same),
                 with_rule(merge_rule::manual));
  CHECK(r.merged == same);
  CHECK(r.remote_changes.empty());
  CHECK(r.local_changes.empty());
  CHECK_FALSE(r.held());
}

TEST_CASE("merge echo: our own write coming back writes nothing", "[merge]") {
  // We pushed L; the next pull shows R == L while the base is still the old
  // value: no ping-pong (property 15), merged = L.
  auto pushed = customer("Acme", "pushed@x");
  auto in = input(customer("Acme", "old@x"), pushed, pushed);
  in.local.changed_at = t0;
  in.remote.changed_at = t0 + 1min;
  auto r = merge(in, merge_policy{});
  CHECK(r.merged == pushed);
  CHECK(r.remote_changes.empty());
  CHECK(r.local_changes.empty());
  CHECK_FALSE(r.held());
}

TEST_CASE("merge treats a missing key as null", "[merge]") {
  auto b = json{{"name", "Acme"}, {"phone", nullptr}};
  // Local lacks "phone" (== null == base): unchanged. Remote sets it.
  auto r = merge(
    input(b, json{{"name", "Acme"}}, json{{"name", "Acme"}, {"phone", "123"}}),
    with_rule(merge_rule::manual));
  CHECK(r.merged["phone"] == "123");
  CHECK(r.local_changes == strings{"phone"});
  CHECK(r.remote_changes.empty());
  CHECK_FALSE(r.held());
}

// -- case 5: both changed, different values -----------------------------------

TEST_CASE("merge case 5 remote_wins takes the remote value", "[merge]") {
  // Everything else (later local time, local tie side) points at local.
  auto in = email_clash();
  in.local.changed_at = t0 + 1h;
  in.remote.changed_at = t0;
  auto p = merge_policy{};
  p.tie_winner = merge_side::local;
  p.fields["email"] = merge_rule::remote_wins;
  auto r = merge(in, p);
  CHECK(r.merged["email"] == "r@x");
  CHECK(r.local_changes == strings{"email"});
  CHECK(r.remote_changes.empty());
  CHECK_FALSE(r.held());
}

TEST_CASE("merge case 5 local_wins takes the local value", "[merge]") {
  auto in = email_clash();
  in.local.changed_at = t0;
  in.remote.changed_at = t0 + 1h;
  auto p = with_rule(merge_rule::local_wins);
  p.tie_winner = merge_side::remote;
  auto r = merge(in, p);
  CHECK(r.merged["email"] == "l@x");
  CHECK(r.remote_changes == strings{"email"});
  CHECK(r.local_changes.empty());
  CHECK_FALSE(r.held());
}

TEST_CASE("merge case 5 last_write_wins with a later local change", "[merge]") {
  auto in = email_clash();
  in.local.changed_at = t0 + 10s;
  in.remote.changed_at = t0;
  auto p = with_rule(merge_rule::last_write_wins);
  p.tie_winner = merge_side::remote;
  auto r = merge(in, p);
  CHECK(r.merged["email"] == "l@x");
  CHECK(r.remote_changes == strings{"email"});
  CHECK(r.local_changes.empty());
}

TEST_CASE("merge case 5 last_write_wins with a later remote change",
          "[merge]") {
  auto in = email_clash();
  in.local.changed_at = t0;
  in.remote.changed_at = t0 + 10s;
  auto p = with_rule(merge_rule::last_write_wins);
  p.tie_winner = merge_side::local;
  auto r = merge(in, p);
  CHECK(r.merged["email"] == "r@x");
  CHECK(r.local_changes == strings{"email"});
  CHECK(r.remote_changes.empty());
}

TEST_CASE("merge case 5 last_write_wins within the skew margin goes to the "
          "tie side",
          "[merge]") {
  auto p = with_rule(merge_rule::last_write_wins);
  p.skew_margin = 2s;
  SECTION("later local inside the margin and tie remote") {
    auto in = email_clash();
    in.local.changed_at = t0 + 1500ms;
    in.remote.changed_at = t0;
    p.tie_winner = merge_side::remote;
    CHECK(merge(in, p).merged["email"] == "r@x");
  }
  SECTION("later remote inside the margin and tie local") {
    auto in = email_clash();
    in.local.changed_at = t0;
    in.remote.changed_at = t0 + 1500ms;
    p.tie_winner = merge_side::local;
    CHECK(merge(in, p).merged["email"] == "l@x");
  }
  SECTION("exactly the margin apart is still a tie") {
    auto in = email_clash();
    in.local.changed_at = t0 + 2s;
    in.remote.changed_at = t0;
    p.tie_winner = merge_side::remote;
    CHECK(merge(in, p).merged["email"] == "r@x");
    in.local.changed_at = t0 + 2001ms;
    CHECK(merge(in, p).merged["email"] == "l@x");
  }
  SECTION("equal times") {
    auto in = email_clash();
    in.local.changed_at = t0;
    in.remote.changed_at = t0;
    p.tie_winner = merge_side::local;
    CHECK(merge(in, p).merged["email"] == "l@x");
  }
}

TEST_CASE("merge case 5 last_write_wins with a missing time goes to the tie "
          "side",
          "[merge]") {
  // Fortnox records carry no change time (property 18): whatever the other
  // side's time, the tie side wins.
  auto p = with_rule(merge_rule::last_write_wins);
  SECTION("remote time unknown and tie remote") {
    auto in = email_clash();
    in.local.changed_at = t0 + 1h;
    p.tie_winner = merge_side::remote;
    auto r = merge(in, p);
    CHECK(r.merged["email"] == "r@x");
    CHECK(r.local_changes == strings{"email"});
  }
  SECTION("remote time unknown and tie local") {
    auto in = email_clash();
    in.local.changed_at = t0 - 1h;
    p.tie_winner = merge_side::local;
    auto r = merge(in, p);
    CHECK(r.merged["email"] == "l@x");
    CHECK(r.remote_changes == strings{"email"});
  }
  SECTION("local time unknown and tie local") {
    auto in = email_clash();
    in.remote.changed_at = t0 + 1h;
    p.tie_winner = merge_side::local;
    CHECK(merge(in, p).merged["email"] == "l@x");
  }
  SECTION("both times unknown and tie remote") {
    auto in = email_clash();
    p.tie_winner = merge_side::remote;
    CHECK(merge(in, p).merged["email"] == "r@x");
  }
}

TEST_CASE("merge last_write_wins survives extreme time points", "[merge]") {
  auto in = email_clash();
  in.local.changed_at = merge_clock::time_point::max();
  in.remote.changed_at = merge_clock::time_point::min();
  auto p = with_rule(merge_rule::last_write_wins);
  p.tie_winner = merge_side::remote;
  CHECK(merge(in, p).merged["email"] == "l@x");
  p.skew_margin = std::chrono::milliseconds::max(); // never trusted
  CHECK(merge(in, p).merged["email"] == "r@x");
}

TEST_CASE("merge case 5 manual holds the record with a field conflict",
          "[merge]") {
  // "name" changed only locally: still decided and carried in merged.
  auto in = input(customer("Acme", "b@x"), customer("Acme AB", "l@x"),
                  customer("Acme", "r@x"));
  auto p = merge_policy{};
  p.fields["email"] = merge_rule::manual;
  auto r = merge(in, p);
  REQUIRE(r.held());
  CHECK(r.conflicts
        == std::vector<field_conflict>{{"email", "b@x", "l@x", "r@x"}});
  CHECK(r.merged["email"] == "b@x"); // the base until someone decides
  CHECK(r.merged["name"] == "Acme AB");
  // The conflicting field is in neither list; decided fields are.
  CHECK(r.remote_changes == strings{"name"});
  CHECK(r.local_changes.empty());
  CHECK(r.deletion == merge_deletion::none);
}

TEST_CASE("merge conflicts are sorted by field", "[merge]") {
  auto b = json{{"a", 1}, {"m", 1}, {"z", 1}};
  auto l = json{{"a", 2}, {"m", 2}, {"z", 2}};
  auto rm = json{{"a", 3}, {"m", 3}, {"z", 3}};
  auto r = merge(input(b, l, rm), with_rule(merge_rule::manual));
  REQUIRE(r.conflicts.size() == 3);
  CHECK(r.conflicts[0].field == "a");
  CHECK(r.conflicts[1].field == "m");
  CHECK(r.conflicts[2].field == "z");
}

// -- case 6: no base ----------------------------------------------------------

TEST_CASE("merge case 6 no base with equal sides links without writes",
          "[merge]") {
  auto l = customer("Acme", "a@x");
  auto rm = customer("Acme", "a@x");
  rm["remote_id"] = "99"; // ids are not compared
  auto r = merge(input(std::nullopt, l, rm), with_rule(merge_rule::manual));
  CHECK(r.merged == rm);
  CHECK(r.remote_changes.empty());
  CHECK(r.local_changes.empty());
  CHECK_FALSE(r.held());
}

TEST_CASE("merge case 6 no base never applies last_write_wins silently",
          "[merge]") {
  auto in
    = input(std::nullopt, customer("Acme", "l@x"), customer("Acme", "r@x"));
  // Times far apart would decide with a base; without one they don't.
  in.local.changed_at = t0 + 1h;
  in.remote.changed_at = t0;
  auto r = merge(in, with_rule(merge_rule::last_write_wins));
  REQUIRE(r.held());
  CHECK(r.conflicts
        == std::vector<field_conflict>{{"email", nullptr, "l@x", "r@x"}});
  CHECK(r.merged["email"] == "l@x"); // local when no base
  CHECK(r.remote_changes.empty());
  CHECK(r.local_changes.empty());
}

TEST_CASE("merge case 6 no base with remote_wins takes the remote", "[merge]") {
  auto in
    = input(std::nullopt, customer("Acme", "l@x"), customer("Acme", "r@x"));
  auto p = with_rule(merge_rule::remote_wins);
  p.tie_winner = merge_side::local;
  auto r = merge(in, p);
  CHECK_FALSE(r.held());
  CHECK(r.merged["email"] == "r@x");
  CHECK(r.local_changes == strings{"email"});
  CHECK(r.remote_changes.empty());
}

TEST_CASE("merge case 6 no base with local_wins takes the local", "[merge]") {
  auto in
    = input(std::nullopt, customer("Acme", "l@x"), customer("Acme", "r@x"));
  auto r = merge(in, with_rule(merge_rule::local_wins));
  CHECK_FALSE(r.held());
  CHECK(r.merged["email"] == "l@x");
  CHECK(r.remote_changes == strings{"email"});
}

TEST_CASE("merge case 6 no base critical field stays manual under remote_wins",
          "[merge]") {
  auto l = invoice(12500, json::array({row(1, 10000)}));
  auto rm = invoice(12500, json::array({row(1, 10000)}));
  rm["total"] = 13000;
  rm["due_date"] = "2024-03-01";
  auto p = invoice_policy();
  p.default_rule = merge_rule::remote_wins;
  auto r = merge(input(std::nullopt, l, rm), p);
  REQUIRE(r.conflicts.size() == 1);
  CHECK(r.conflicts[0] == field_conflict{"total", nullptr, 12500, 13000});
  CHECK(r.merged["due_date"] == "2024-03-01");
  CHECK(r.local_changes == strings{"due_date"});
}

// -- critical fields, overrides -----------------------------------------------

TEST_CASE("merge critical fields default to manual while others use the "
          "default rule",
          "[merge]") {
  auto b = invoice(12500, json::array({row(1, 10000)}));
  auto l = b;
  auto rm = b;
  l["total"] = 20000;
  rm["total"] = 30000;
  l["due_date"] = "2024-02-10";
  rm["due_date"] = "2024-02-20";
  auto p = invoice_policy();
  p.default_rule = merge_rule::remote_wins;
  auto r = merge(input(b, l, rm), p);
  REQUIRE(r.conflicts.size() == 1);
  CHECK(r.conflicts[0] == field_conflict{"total", 12500, 20000, 30000});
  CHECK(r.merged["total"] == 12500);
  CHECK(r.merged["due_date"] == "2024-02-20");
  CHECK(r.local_changes == strings{"due_date"});
  CHECK(r.remote_changes.empty());
}

TEST_CASE("merge a field override beats the critical default", "[merge]") {
  auto b = invoice(12500, json::array({row(1, 10000)}));
  auto l = b;
  auto rm = b;
  l["total"] = 20000;
  rm["total"] = 30000;
  auto p = invoice_policy();
  p.default_rule = merge_rule::manual;
  p.fields["total"] = merge_rule::local_wins;
  auto r = merge(input(b, l, rm), p);
  CHECK_FALSE(r.held());
  CHECK(r.merged["total"] == 20000);
  CHECK(r.remote_changes == strings{"total"});
}

TEST_CASE("merge rows are one field compared as a whole", "[merge]") {
  auto b = invoice(12500, json::array({row(1, 10000), row(2, 500)}));
  SECTION("a row changed on one side replaces the whole array") {
    auto l = b;
    l["rows"][1]["unit_price"] = 700;
    auto r = merge(input(b, l, b), invoice_policy());
    CHECK_FALSE(r.held());
    CHECK(r.merged["rows"] == l["rows"]);
    CHECK(r.remote_changes == strings{"rows"});
  }
  SECTION("different rows changed on both sides: one conflict on rows") {
    auto l = b;
    auto rm = b;
    l["rows"][0]["unit_price"] = 11000;
    rm["rows"][1]["unit_price"] = 600;
    auto r = merge(input(b, l, rm), invoice_policy());
    REQUIRE(r.conflicts.size() == 1);
    CHECK(r.conflicts[0]
          == field_conflict{"rows", b["rows"], l["rows"], rm["rows"]});
    CHECK(r.merged["rows"] == b["rows"]);
  }
  SECTION("equal arrays are no change") {
    auto l = b;
    auto rm = b;
    l["rows"] = json::array({row(1, 10000), row(2, 500)});
    auto r = merge(input(b, l, rm), invoice_policy());
    CHECK(r.remote_changes.empty());
    CHECK(r.local_changes.empty());
  }
}

// -- resolved values ----------------------------------------------------------

TEST_CASE("merge resolved value wins over both sides and writes both",
          "[merge]") {
  auto in = email_clash();
  in.resolved["email"] = "chosen@x";
  auto p = with_rule(merge_rule::manual);
  auto r = merge(in, p);
  CHECK_FALSE(r.held());
  CHECK(r.merged["email"] == "chosen@x");
  CHECK(r.remote_changes == strings{"email"});
  CHECK(r.local_changes == strings{"email"});
}

TEST_CASE("merge resolved value writes only the side that differs", "[merge]") {
  auto in = email_clash();
  in.resolved["email"] = "l@x";
  auto r = merge(in, with_rule(merge_rule::manual));
  CHECK_FALSE(r.held());
  CHECK(r.merged["email"] == "l@x");
  CHECK(r.remote_changes == strings{"email"});
  CHECK(r.local_changes.empty());
  // Resolving again with the same value gives the same result (property 19).
  CHECK(merge(in, with_rule(merge_rule::manual)) == r);
}

TEST_CASE("merge resolved value overrides a rule and a one-sided change",
          "[merge]") {
  auto in = input(customer("Acme", "a@x"), customer("Acme", "a@x"),
                  customer("Acme AB", "a@x"));
  in.resolved["name"] = "Acme Ltd";
  auto r = merge(in, merge_policy{});
  CHECK(r.merged["name"] == "Acme Ltd");
  CHECK(r.remote_changes == strings{"name"});
  CHECK(r.local_changes == strings{"name"});
}

// -- ignored fields -----------------------------------------------------------

TEST_CASE("merge never compares ignored fields", "[merge]") {
  auto b = customer("Acme", "a@x");
  b["external_ref"] = "c-1";
  auto l = b;
  auto rm = b;
  l["remote_id"] = "local-view";
  rm["remote_id"] = "17b";
  rm.erase("external_ref"); // the provider doesn't echo it
  auto r = merge(input(b, l, rm), with_rule(merge_rule::manual));
  CHECK_FALSE(r.held());
  CHECK(r.remote_changes.empty());
  CHECK(r.local_changes.empty());
  CHECK(r.merged["remote_id"] == "17b");    // the remote's
  CHECK(r.merged["external_ref"] == "c-1"); // the local's when remote lacks it
  // Ignored fields are never resolved either.
  merge_input in = input(b, l, rm);
  in.resolved["remote_id"] = "x";
  auto r2 = merge(in, with_rule(merge_rule::manual));
  CHECK(r2.merged["remote_id"] == "17b");
  CHECK(r2.remote_changes.empty());
}

TEST_CASE("merge with a custom ignored set compares the default ids",
          "[merge]") {
  auto b = customer("Acme", "a@x");
  auto rm = b;
  rm["remote_id"] = "18";
  auto p = merge_policy{};
  p.ignored = {"city"};
  auto r = merge(input(b, b, rm), p);
  CHECK(r.local_changes == strings{"remote_id"});
}

// -- deletes ------------------------------------------------------------------

TEST_CASE("merge case 7: local delete with an unchanged remote deletes the "
          "remote",
          "[merge]") {
  auto b = customer("Acme", "a@x");
  auto in = input(b, json::object(), b);
  in.local.deleted = true;
  in.remote.value["remote_id"] = "17b"; // ids don't count as a change
  auto r = merge(in, merge_policy{});
  CHECK(r.deletion == merge_deletion::delete_remote);
  CHECK_FALSE(r.held());
  CHECK(r.remote_changes.empty());
  CHECK(r.local_changes.empty());
  CHECK(r.merged["name"] == "Acme");
  CHECK(r.merged["remote_id"] == "17b");
}

TEST_CASE("merge case 8: remote delete with an unchanged local deletes "
          "locally",
          "[merge]") {
  auto b = customer("Acme", "a@x");
  auto in = input(b, b, b);
  in.remote.deleted = true;
  auto r = merge(in, merge_policy{});
  CHECK(r.deletion == merge_deletion::delete_local);
  CHECK_FALSE(r.held());
  CHECK(r.remote_changes.empty());
  CHECK(r.local_changes.empty());
}

TEST_CASE("merge case 9 manual: delete against change is a conflict",
          "[merge]") {
  auto b = customer("Acme", "a@x");
  SECTION("local deleted and remote changed") {
    auto in = input(b, b, customer("Acme AB", "a@x"));
    in.local.deleted = true;
    auto r = merge(in, merge_policy{}); // "_deleted" defaults to manual
    CHECK(r.deletion == merge_deletion::none);
    CHECK(r.conflicts
          == std::vector<field_conflict>{{"_deleted", false, true, false}});
    CHECK(r.remote_changes.empty());
    CHECK(r.local_changes.empty());
    CHECK(r.merged == b);
  }
  SECTION("remote deleted and local changed") {
    auto in = input(b, customer("Acme", "new@x"), b);
    in.remote.deleted = true;
    auto p = with_rule(merge_rule::remote_wins); // not for "_deleted"
    auto r = merge(in, p);
    CHECK(r.deletion == merge_deletion::none);
    CHECK(r.conflicts
          == std::vector<field_conflict>{{"_deleted", false, false, true}});
    CHECK(r.remote_changes.empty());
    CHECK(r.local_changes.empty());
  }
}

TEST_CASE("merge case 9 remote_wins follows the remote", "[merge]") {
  auto b = customer("Acme", "a@x");
  auto p = merge_policy{};
  p.fields["_deleted"] = merge_rule::remote_wins;
  SECTION("remote deleted and local changed: delete locally") {
    auto in = input(b, customer("Acme", "new@x"), b);
    in.remote.deleted = true;
    auto r = merge(in, p);
    CHECK_FALSE(r.held());
    CHECK(r.deletion == merge_deletion::delete_local);
    CHECK(r.remote_changes.empty());
    CHECK(r.local_changes.empty());
  }
  SECTION("local deleted and remote changed: undelete locally") {
    auto in = input(b, b, customer("Acme AB", "a@x"));
    in.local.deleted = true;
    auto r = merge(in, p);
    CHECK_FALSE(r.held());
    CHECK(r.deletion == merge_deletion::none);
    CHECK(r.merged == customer("Acme AB", "a@x"));
    CHECK(r.local_changes == strings{"_deleted", "name"});
    CHECK(r.remote_changes.empty());
  }
}

TEST_CASE("merge case 9 local_wins follows the local side", "[merge]") {
  auto b = customer("Acme", "a@x");
  auto p = merge_policy{};
  p.fields["_deleted"] = merge_rule::local_wins;
  SECTION("local deleted and remote changed: delete the remote") {
    auto in = input(b, b, customer("Acme AB", "a@x"));
    in.local.deleted = true;
    auto r = merge(in, p);
    CHECK_FALSE(r.held());
    CHECK(r.deletion == merge_deletion::delete_remote);
    CHECK(r.remote_changes.empty());
    CHECK(r.local_changes.empty());
  }
  SECTION("remote deleted and local changed: re-create the remote") {
    auto in = input(b, customer("Acme", "new@x"), b);
    in.remote.deleted = true;
    auto r = merge(in, p);
    CHECK_FALSE(r.held());
    CHECK(r.deletion == merge_deletion::none);
    CHECK(r.merged == customer("Acme", "new@x"));
    CHECK(r.remote_changes == strings{"_deleted", "email"});
    CHECK(r.local_changes.empty());
  }
}

TEST_CASE("merge case 9 last_write_wins uses change times and the tie side",
          "[merge]") {
  auto b = customer("Acme", "a@x");
  auto in = input(b, b, customer("Acme AB", "a@x"));
  in.local.deleted = true;
  auto p = merge_policy{};
  p.fields["_deleted"] = merge_rule::last_write_wins;
  p.tie_winner = merge_side::remote;
  SECTION("later delete wins") {
    in.local.changed_at = t0 + 1min;
    in.remote.changed_at = t0;
    CHECK(merge(in, p).deletion == merge_deletion::delete_remote);
  }
  SECTION("no times: tie side remote keeps the record") {
    auto r = merge(in, p);
    CHECK(r.deletion == merge_deletion::none);
    CHECK(r.local_changes == strings{"_deleted", "name"});
  }
  SECTION("no times: tie side local deletes") {
    p.tie_winner = merge_side::local;
    CHECK(merge(in, p).deletion == merge_deletion::delete_remote);
  }
}

TEST_CASE("merge case 9 resolved _deleted decides", "[merge]") {
  auto b = customer("Acme", "a@x");
  auto in = input(b, b, customer("Acme AB", "a@x"));
  in.local.deleted = true;
  SECTION("true: the delete wins") {
    in.resolved["_deleted"] = true;
    auto r = merge(in, merge_policy{});
    CHECK_FALSE(r.held());
    CHECK(r.deletion == merge_deletion::delete_remote);
  }
  SECTION("false: the record lives on") {
    in.resolved["_deleted"] = false;
    auto r = merge(in, merge_policy{});
    CHECK_FALSE(r.held());
    CHECK(r.deletion == merge_deletion::none);
    CHECK(r.local_changes == strings{"_deleted", "name"});
  }
  SECTION("false with a chosen field value: it wins on both sides") {
    in.resolved["_deleted"] = false;
    in.resolved["email"] = "chosen@x";
    auto r = merge(in, merge_policy{});
    CHECK(r.deletion == merge_deletion::none);
    CHECK(r.merged == customer("Acme AB", "chosen@x"));
    CHECK(r.local_changes == strings{"_deleted", "email", "name"});
    CHECK(r.remote_changes == strings{"email"});
  }
  SECTION("not a boolean") {
    in.resolved["_deleted"] = "yes";
    CHECK_THROWS_AS(merge(in, merge_policy{}), std::invalid_argument);
  }
}

TEST_CASE("merge delete without a base is decided like case 6", "[merge]") {
  auto in = input(std::nullopt, json::object(), customer("Acme", "a@x"));
  in.local.deleted = true;
  auto p = merge_policy{};
  p.fields["_deleted"] = merge_rule::last_write_wins;
  in.local.changed_at = t0 + 1h;
  in.remote.changed_at = t0;
  auto r = merge(in, p);
  REQUIRE(r.held());
  CHECK(r.conflicts
        == std::vector<field_conflict>{{"_deleted", nullptr, true, false}});
  CHECK(r.deletion == merge_deletion::none);
}

TEST_CASE("merge a tombstoned base that one side brought back is undeleted",
          "[merge]") {
  // "_deleted" changed only on the remote (true -> false): case 3 of the
  // pseudo-field.
  auto b = customer("Acme", "a@x");
  auto in = input(b, b, customer("Acme AB", "a@x"));
  in.base_deleted = true;
  in.local.deleted = true;
  auto r = merge(in, merge_policy{});
  CHECK_FALSE(r.held());
  CHECK(r.deletion == merge_deletion::none);
  CHECK(r.local_changes == strings{"_deleted", "name"});
}

TEST_CASE("merge case 10: both deleted", "[merge]") {
  auto b = customer("Acme", "a@x");
  auto in = input(b, customer("Acme", "l@x"), customer("Acme", "r@x"));
  in.local.deleted = true;
  in.remote.deleted = true;
  auto r = merge(in, with_rule(merge_rule::manual));
  CHECK(r.deletion == merge_deletion::both_deleted);
  CHECK_FALSE(r.held());
  CHECK(r.remote_changes.empty());
  CHECK(r.local_changes.empty());
}

TEST_CASE("merge refuses a side without a record", "[merge]") {
  auto b = customer("Acme", "a@x");
  auto in = input(b, b, b);
  in.remote.present = false;
  CHECK_THROWS_AS(merge(in, merge_policy{}), std::invalid_argument);
  in.remote.present = true;
  in.local.present = false;
  CHECK_THROWS_AS(merge(in, merge_policy{}), std::invalid_argument);
}

// -- determinism (property 17) ------------------------------------------------

TEST_CASE("merge is deterministic and independent of insertion order",
          "[merge]") {
  auto b = invoice(12500, json::array({row(1, 10000)}));
  auto l = b;
  auto rm = b;
  l["total"] = 20000;
  rm["total"] = 30000;
  l["due_date"] = "2024-02-10";
  rm["due_date"] = "2024-02-20";
  l["status"] = "sent";
  rm["your_reference"] = "Ann";
  l["our_reference"] = "Bo";

  merge_input first = input(b, l, rm);
  first.resolved["our_reference"] = "Bea";
  first.resolved["status"] = "booked";
  merge_policy p1;
  p1.critical.insert("total");
  p1.critical.insert("vat");
  p1.fields["due_date"] = merge_rule::last_write_wins;
  p1.fields["status"] = merge_rule::local_wins;

  merge_input second = input(b, l, rm);
  second.resolved["status"] = "booked";
  second.resolved["our_reference"] = "Bea";
  merge_policy p2;
  p2.fields["status"] = merge_rule::local_wins;
  p2.fields["due_date"] = merge_rule::last_write_wins;
  p2.critical.insert("vat");
  p2.critical.insert("total");

  auto r1 = merge(first, p1);
  CHECK(merge(first, p1) == r1);
  CHECK(merge(second, p2) == r1);
  REQUIRE(r1.conflicts.size() == 1);
  CHECK(r1.conflicts[0].field == "total");
  CHECK(r1.merged["due_date"] == "2024-02-20"); // no times: tie side remote
  CHECK(r1.merged["status"] == "booked");
  CHECK(r1.merged["our_reference"] == "Bea");
  CHECK(r1.merged["your_reference"] == "Ann");
  CHECK(r1.remote_changes == strings{"our_reference", "status"});
  CHECK(r1.local_changes
        == strings{"due_date", "our_reference", "status", "your_reference"});
}

// -- changed_fields -----------------------------------------------------------

TEST_CASE("changed_fields lists differing fields sorted", "[merge]") {
  std::set<std::string, std::less<>> ignored{"remote_id"};
  auto a = json{{"z", 1}, {"b", "x"}, {"remote_id", "1"}, {"rows", {1, 2}}};
  auto b = json{{"z", 2}, {"b", "x"}, {"remote_id", "2"}, {"rows", {1, 3}}};
  CHECK(changed_fields(a, b, ignored) == strings{"rows", "z"});
  CHECK(changed_fields(a, a, ignored).empty());
  // Missing key == null, both ways.
  CHECK(changed_fields(json{{"k", nullptr}}, json::object(), ignored).empty());
  CHECK(changed_fields(json::object(), json{{"k", nullptr}}, ignored).empty());
  CHECK(changed_fields(json{{"k", 0}}, json::object(), ignored)
        == strings{"k"});
  CHECK(changed_fields(json::object(), json{{"a", 1}, {"c", 2}}, {})
        == strings{"a", "c"});
  // No ignored set: ids count.
  CHECK(changed_fields(a, b, {}) == strings{"remote_id", "rows", "z"});
}
