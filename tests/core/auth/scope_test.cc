// The scope rule of core/auth/scope.h: the role × record table, conflicted owners, erased
// records, and CheckPush.
#include "core/auth/scope.h"

#include <optional>
#include <string>

#include "core/crdt/hybrid_clock.h"
#include "core/crdt/record_edit.h"
#include "gtest/gtest.h"

namespace rapport::auth {
namespace {

using crdt::Record;

const schema::Schema& Customers() { return schema::Schema::DefaultCustomer(); }

crdt::FieldId Number(std::string_view field) {
  const schema::FieldSpec* spec = Customers().FindField("customer", field);
  EXPECT_NE(spec, nullptr) << field;
  return spec == nullptr ? 0 : spec->number();
}

crdt::RecordId TestId() { return crdt::RecordId::FromParts(1'700'000'000'000, {1, 2, 3}); }

struct Placement {
  std::optional<std::string> owner, territory, branch;
};

// A customer written by replica 1 at seq 1 with the given owner / territory / branch.
Record Customer(const Placement& p) {
  Record record(TestId(), "customer");
  crdt::HybridClock clock;
  crdt::RecordEdit edit(record, 1, clock, 1'000, 1);
  EXPECT_TRUE(edit.Set(Number("name"), std::string("Acme Trading")).ok());
  if (p.owner) {
    EXPECT_TRUE(edit.Set(Number("owner"), *p.owner).ok());
  }
  if (p.territory) {
    EXPECT_TRUE(edit.Set(Number("territory"), *p.territory).ok());
  }
  if (p.branch) {
    EXPECT_TRUE(edit.Set(Number("branch"), *p.branch).ok());
  }
  return record;
}

Claims ClaimsOf(Role role) {
  Claims c;
  c.role = role;
  c.expires_at = 1;
  switch (role) {
    case Role::kRep:
      c.subject = "li";
      c.territories = {"north", "east"};
      c.branches = {"b1"};  // a rep's branch does not widen its scope
      break;
    case Role::kManager:
      c.subject = "boss";
      c.branches = {"b1"};
      break;
    case Role::kReplica:
      c.subject = "branch-b1";
      c.branches = {"b1", "b3"};
      break;
    case Role::kAdmin:
      c.subject = "root";
      break;
  }
  return c;
}

struct ScopeCase {
  Role role;
  Placement placement;
  bool in_scope;
  const char* why;
};

TEST(ScopeTest, RuleTableForEveryRole) {
  const ScopeCase cases[] = {
      {Role::kRep, {"li", "south", "b2"}, true, "rep owns it"},
      {Role::kRep, {"zhang", "east", "b2"}, true, "rep's territory"},
      {Role::kRep, {std::nullopt, "north", std::nullopt}, true, "territory, no owner"},
      {Role::kRep, {"zhang", "south", "b1"}, false, "branch match is not rep scope"},
      {Role::kRep, {"zhang", "south", "b2"}, false, "nothing matches"},
      {Role::kRep, {}, false, "no scope fields at all"},
      {Role::kManager, {"zhang", "south", "b1"}, true, "manager's branch"},
      {Role::kManager, {"boss", "north", "b2"}, false, "owner match is not manager scope"},
      {Role::kManager, {"zhang", "south", "b2"}, false, "other branch"},
      {Role::kManager, {}, false, "no branch"},
      {Role::kReplica, {"zhang", "south", "b3"}, true, "replica's second branch"},
      {Role::kReplica, {"branch-b1", "north", "b2"}, false, "other branch"},
      {Role::kReplica, {}, false, "no branch"},
      {Role::kAdmin, {"zhang", "south", "b2"}, true, "admin sees all"},
      {Role::kAdmin, {}, true, "admin sees all"},
  };
  for (const ScopeCase& c : cases) {
    const Scope scope(ClaimsOf(c.role), Customers());
    EXPECT_EQ(scope.Contains(Customer(c.placement)), c.in_scope)
        << RoleName(c.role) << ": " << c.why;
  }
}

TEST(ScopeTest, TerritoryAndOwnerComparisonsAreExact) {
  const Scope rep(ClaimsOf(Role::kRep), Customers());
  EXPECT_FALSE(rep.Contains(Customer({"LI", "North", "b2"})));
  EXPECT_FALSE(rep.Contains(Customer({"li ", "north-2", "b2"})));
}

TEST(ScopeTest, UnknownRecordTypeIsOnlyAdminScope) {
  Record record(TestId(), "supplier");
  EXPECT_FALSE(Scope(ClaimsOf(Role::kRep), Customers()).Contains(record));
  EXPECT_FALSE(Scope(ClaimsOf(Role::kReplica), Customers()).Contains(record));
  EXPECT_TRUE(Scope(ClaimsOf(Role::kAdmin), Customers()).Contains(record));
}

// The scope fields are found by name in the record's type, whatever their numbers.
TEST(ScopeTest, ScopeFieldsAreResolvedThroughTheSchema) {
  auto schema = schema::Schema::Parse(R"(
    name: "leads" version: 1
    types {
      name: "lead"
      fields { name: "territory" number: 3 kind: VALUE type: STRING }
      fields { name: "owner" number: 7 kind: VALUE type: STRING }
    })");
  ASSERT_TRUE(schema.ok()) << schema.status();
  Record lead(TestId(), "lead");
  crdt::HybridClock clock;
  crdt::RecordEdit edit(lead, 1, clock, 1'000, 1);
  ASSERT_TRUE(edit.Set(7, std::string("li")).ok());
  ASSERT_TRUE(edit.Set(3, std::string("south")).ok());
  EXPECT_TRUE(Scope(ClaimsOf(Role::kRep), *schema).Contains(lead));
  // The lead type has no branch field: out of every branch scope.
  EXPECT_FALSE(Scope(ClaimsOf(Role::kManager), *schema).Contains(lead));
  // Under the customer schema, number 7 is "personality", not the owner.
  Record customer(TestId(), "customer");
  crdt::RecordEdit edit_customer(customer, 1, clock, 2'000, 1);
  ASSERT_TRUE(edit_customer.Set(7, std::string("li")).ok());
  EXPECT_FALSE(Scope(ClaimsOf(Role::kRep), Customers()).Contains(customer));
}

// Two managers reassign the same customer concurrently: li's and wang's owner siblings both
// survive, and both reps keep the record until a later write resolves the conflict.
TEST(ScopeTest, ConflictedOwnerIsInScopeForEverySibling) {
  Record base = Customer({"zhang", "south", "b2"});
  Record a = base;
  Record b = base;
  crdt::HybridClock clock_a, clock_b;
  crdt::RecordEdit edit_a(a, 2, clock_a, 5'000, 2);
  ASSERT_TRUE(edit_a.Set(Number("owner"), std::string("li")).ok());
  crdt::RecordEdit edit_b(b, 3, clock_b, 5'000, 2);
  ASSERT_TRUE(edit_b.Set(Number("owner"), std::string("wang")).ok());
  Record merged = a;
  merged.Join(edit_b.Delta(), 3);
  ASSERT_TRUE(merged.HasConflicts());

  Claims wang = ClaimsOf(Role::kRep);
  wang.subject = "wang";
  wang.territories = {};
  Claims zhang = wang;
  zhang.subject = "zhang";
  EXPECT_TRUE(Scope(ClaimsOf(Role::kRep), Customers()).Contains(merged));  // li
  EXPECT_TRUE(Scope(wang, Customers()).Contains(merged));
  EXPECT_FALSE(Scope(zhang, Customers()).Contains(merged));  // superseded by both writes

  // A manager who saw both resolves it to li: wang's next pull purges the record.
  crdt::HybridClock clock_c(merged.MaxHlc());
  crdt::RecordEdit resolve(merged, 4, clock_c, 6'000, 4);
  ASSERT_TRUE(resolve.Set(Number("owner"), std::string("li")).ok());
  EXPECT_TRUE(Scope(ClaimsOf(Role::kRep), Customers()).Contains(merged));
  EXPECT_FALSE(Scope(wang, Customers()).Contains(merged));
}

// Record::Erase drops owner, territory and branch with every other field, so the tombstone (id,
// type, marker: no personal data) is in every scope and the erasure reaches every device.
TEST(ScopeTest, ErasedRecordWithoutScopeFieldsReachesEveryRole) {
  Record record = Customer({"zhang", "south", "b2"});
  record.Erase(9);
  ASSERT_TRUE(record.fields().empty());
  for (Role role : {Role::kRep, Role::kManager, Role::kReplica, Role::kAdmin}) {
    EXPECT_TRUE(Scope(ClaimsOf(role), Customers()).Contains(record)) << RoleName(role);
  }
}

TEST(ScopeTest, DeletedRecordFollowsTheRule) {
  Record record = Customer({"zhang", "south", "b2"});
  crdt::HybridClock clock;
  crdt::RecordEdit edit(record, 1, clock, 9'000, 2);
  ASSERT_TRUE(edit.Delete().ok());
  EXPECT_FALSE(Scope(ClaimsOf(Role::kRep), Customers()).Contains(record));
  Record own = Customer({"li", "south", "b2"});
  crdt::RecordEdit edit_own(own, 1, clock, 9'000, 2);
  ASSERT_TRUE(edit_own.Delete().ok());
  EXPECT_TRUE(Scope(ClaimsOf(Role::kRep), Customers()).Contains(own));
}

// ---- CheckPush ----

struct Push {
  Record before, delta, after;
};

// The push of one Set on `before` by replica 7.
Push SetOn(const Record& before, std::string_view field, crdt::Scalar value) {
  Push p{before, {}, before};
  crdt::HybridClock clock(before.MaxHlc());
  crdt::RecordEdit edit(p.after, 7, clock, 20'000, before.MaxSeq() + 1);
  EXPECT_TRUE(edit.Set(Number(field), std::move(value)).ok());
  p.delta = edit.Delta();
  return p;
}

absl::Status Check(Role role, const Push& p) {
  return Scope(ClaimsOf(role), Customers()).CheckPush(p.before, p.delta, p.after);
}

TEST(ScopeCheckPushTest, InScopeEditIsAllowed) {
  EXPECT_TRUE(Check(Role::kRep, SetOn(Customer({"li", "south", "b2"}), "phone",
                                      std::string("+86 138 0013 8000")))
                  .ok());
  EXPECT_TRUE(
      Check(Role::kRep, SetOn(Customer({"zhang", "north", "b2"}), "city", std::string("Harbin")))
          .ok());
  EXPECT_TRUE(
      Check(Role::kManager, SetOn(Customer({"zhang", "north", "b1"}), "owner", std::string("wang")))
          .ok());
  EXPECT_TRUE(Check(Role::kAdmin, SetOn(Customer({}), "branch", std::string("b9"))).ok());
}

TEST(ScopeCheckPushTest, RepMayNotChangeOwner) {
  // In scope through the territory before and after, so only the write right refuses it.
  const absl::Status s =
      Check(Role::kRep, SetOn(Customer({"zhang", "north", "b2"}), "owner", std::string("li")));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("role \"rep\" may not write field \"owner\""), std::string::npos) << s;
  EXPECT_NE(s.message().find(TestId().ToString()), std::string::npos) << s;
}

TEST(ScopeCheckPushTest, OutOfScopeRecordIsRefusedWithoutRevealingIt) {
  const absl::Status s = Check(Role::kRep, SetOn(Customer({"zhang", "south", "b2"}), "phone",
                                                 std::string("+86 138 0013 8000")));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("outside the scope of rep \"li\""), std::string::npos) << s;
  EXPECT_EQ(s.message().find("zhang"), std::string::npos) << s;
  EXPECT_EQ(s.message().find("south"), std::string::npos) << s;
}

TEST(ScopeCheckPushTest, PushThatMovesTheRecordOutOfScopeIsRefused) {
  // A branch replica may write `branch`, but not hand a record to a branch it does not serve.
  const absl::Status s =
      Check(Role::kReplica, SetOn(Customer({"zhang", "south", "b1"}), "branch", std::string("b2")));
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(s.message().find("this change would be outside the scope of replica"),
            std::string::npos)
      << s;
  EXPECT_NE(s.message().find("branch in [\"b1\", \"b3\"]"), std::string::npos) << s;
}

TEST(ScopeCheckPushTest, CreatingWithOwnScopeValuesIsAllowed) {
  const Record absent(TestId(), "customer");
  EXPECT_TRUE(Check(Role::kRep, SetOn(absent, "owner", std::string("li"))).ok());
  EXPECT_TRUE(Check(Role::kRep, SetOn(absent, "territory", std::string("east"))).ok());
  EXPECT_TRUE(Check(Role::kManager, SetOn(absent, "branch", std::string("b1"))).ok());
}

TEST(ScopeCheckPushTest, CreatingForSomeoneElseIsRefused) {
  const Record absent(TestId(), "customer");
  const absl::Status other_owner = Check(Role::kRep, SetOn(absent, "owner", std::string("zhang")));
  EXPECT_EQ(other_owner.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(other_owner.message().find("field \"owner\""), std::string::npos) << other_owner;

  const absl::Status no_scope = Check(Role::kRep, SetOn(absent, "name", std::string("Acme")));
  EXPECT_EQ(no_scope.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_NE(no_scope.message().find("a new record would be outside the scope"), std::string::npos)
      << no_scope;

  const absl::Status other_branch =
      Check(Role::kManager, SetOn(absent, "branch", std::string("b2")));
  EXPECT_EQ(other_branch.code(), absl::StatusCode::kPermissionDenied);
}

TEST(ScopeCheckPushTest, OnlyAdminAndReplicaMayErase) {
  for (Role role : {Role::kRep, Role::kManager, Role::kReplica, Role::kAdmin}) {
    Push p;
    p.before = Customer({"li", "north", "b1"});
    p.after = p.before;
    crdt::HybridClock clock(p.before.MaxHlc());
    crdt::RecordEdit edit(p.after, 7, clock, 20'000, 5);
    edit.Erase();
    p.delta = edit.Delta();
    ASSERT_TRUE(p.delta.erased());
    const absl::Status s = Check(role, p);
    const bool may_erase = role == Role::kAdmin || role == Role::kReplica;
    EXPECT_EQ(s.ok(), may_erase) << RoleName(role) << ": " << s;
    if (!may_erase) {
      EXPECT_NE(s.message().find("may not erase"), std::string::npos) << s;
    }
  }
}

// ---- CheckPush across record types ----
//
// Record::Join keeps the smaller of two type names, and field numbers mean different things in
// different types. In this schema number 2 is a customer's owner but a note's text (anyone may
// write it), and an "account" (smaller than "customer") has its owner at number 3, the customer's
// territory.
const schema::Schema& TwoTypes() {
  static const schema::Schema kSchema = [] {
    auto parsed = schema::Schema::Parse(R"(
      name: "two-types" version: 1
      types {
        name: "customer"
        fields { name: "name" number: 1 kind: VALUE type: STRING }
        fields { name: "owner" number: 2 kind: VALUE type: STRING writers: [MANAGER, ADMIN, REPLICA] }
        fields { name: "territory" number: 3 kind: VALUE type: STRING writers: [MANAGER, ADMIN, REPLICA] }
        fields { name: "branch" number: 4 kind: VALUE type: STRING writers: [ADMIN, REPLICA] }
      }
      types {
        name: "note"
        fields { name: "text" number: 2 kind: VALUE type: STRING }
      }
      types {
        name: "account"
        fields { name: "name" number: 1 kind: VALUE type: STRING }
        fields { name: "owner" number: 3 kind: VALUE type: STRING writers: [MANAGER, ADMIN, REPLICA] }
        fields { name: "territory" number: 2 kind: VALUE type: STRING writers: [MANAGER, ADMIN, REPLICA] }
      })");
    EXPECT_TRUE(parsed.ok()) << parsed.status();
    return parsed.ok() ? *std::move(parsed) : schema::Schema::DefaultCustomer();
  }();
  return kSchema;
}

// Rep "li" of territory "north" and a customer of that territory and branch "b1" owned by "zhang".
Claims NorthRep() {
  Claims c = ClaimsOf(Role::kRep);
  c.territories = {"north"};
  return c;
}
Record NorthCustomerOfZhang() {
  Record record(TestId(), "customer");
  crdt::HybridClock clock;
  crdt::RecordEdit edit(record, 1, clock, 1'000, 1);
  EXPECT_TRUE(edit.Set(2, std::string("zhang")).ok());  // owner
  EXPECT_TRUE(edit.Set(3, std::string("north")).ok());  // territory
  EXPECT_TRUE(edit.Set(4, std::string("b1")).ok());     // branch
  return record;
}

// What the server does with a pushed delta of type `type` setting field `number` to `value`:
// `after` is the stored record joined with it (session_reactor.cc).
Push ForeignTypedSet(const Record& before, const std::string& type, crdt::FieldId number,
                     const std::string& value) {
  Record typed(before.id(), type);
  crdt::HybridClock clock(before.MaxHlc());
  crdt::RecordEdit edit(typed, 7, clock, 20'000, before.MaxSeq() + 1);
  EXPECT_TRUE(edit.Set(number, value).ok());
  Push p{before, edit.Delta(), before};
  p.after.Join(p.delta, before.MaxSeq() + 1);
  return p;
}

TEST(ScopeCheckPushTest, RepCannotWriteOwnerThroughAnotherTypesFieldNumber) {
  // "note" > "customer": the record stays a customer, and the note's "text" lands as its owner.
  const Push p = ForeignTypedSet(NorthCustomerOfZhang(), "note", 2, "li");
  ASSERT_EQ(p.after.type(), "customer");
  const absl::Status s = Scope(NorthRep(), TwoTypes()).CheckPush(p.before, p.delta, p.after);
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << s;
  EXPECT_NE(s.message().find("type"), std::string::npos) << s;
}

TEST(ScopeCheckPushTest, NonAdminCannotChangeARecordsType) {
  // "account" < "customer": the join turns the customer into an account, so its territory (3)
  // would be read as the account's owner from then on.
  const Push p = ForeignTypedSet(NorthCustomerOfZhang(), "account", 1, "Acme");
  ASSERT_EQ(p.after.type(), "account");
  for (Role role : {Role::kRep, Role::kManager, Role::kReplica}) {
    Claims claims = NorthRep();
    claims.role = role;
    claims.branches = {"b1"};
    const absl::Status s = Scope(claims, TwoTypes()).CheckPush(p.before, p.delta, p.after);
    EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied) << RoleName(role) << ": " << s;
    EXPECT_NE(s.message().find("may not change its type from \"customer\" to \"account\""),
              std::string::npos)
        << s;
  }
  EXPECT_TRUE(Scope(ClaimsOf(Role::kAdmin), TwoTypes()).CheckPush(p.before, p.delta, p.after).ok());
}

TEST(ScopeCheckPushTest, EachTypeIsCheckedWithItsOwnFieldNumbers) {
  const Scope rep(NorthRep(), TwoTypes());
  // Same type: writing the customer's owner is refused, its name is not.
  const Push owner = ForeignTypedSet(NorthCustomerOfZhang(), "customer", 2, "li");
  EXPECT_EQ(rep.CheckPush(owner.before, owner.delta, owner.after).code(),
            absl::StatusCode::kPermissionDenied);
  const Push name = ForeignTypedSet(NorthCustomerOfZhang(), "customer", 1, "Acme");
  EXPECT_TRUE(rep.CheckPush(name.before, name.delta, name.after).ok());
  // A new account the rep owns: its owner is number 3 there, the creation exception applies.
  const Push own_account = ForeignTypedSet(Record(), "account", 3, "li");
  EXPECT_TRUE(rep.CheckPush(Record(), own_account.delta, own_account.after).ok());
  // Number 2 of a new account is its territory: someone else's is refused.
  const Push other_territory = ForeignTypedSet(Record(), "account", 2, "south");
  EXPECT_EQ(rep.CheckPush(Record(), other_territory.delta, other_territory.after).code(),
            absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace rapport::auth
