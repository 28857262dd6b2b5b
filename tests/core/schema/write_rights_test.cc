// Field write rights: `writers` in the schema, checked on every delta.
#include "core/schema/schema.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/core/schema/customer_fixture.h"

namespace rapport::schema {
namespace {

using testing::Customer;
using ::testing::HasSubstr;
using testing::Num;
using testing::Writer;

crdt::Record OwnerChange() {
  Writer w;
  return w.Edit([](crdt::RecordEdit& e) {
    ASSERT_TRUE(e.Set(Num("name"), std::string("Acme")).ok());
    ASSERT_TRUE(e.Set(Num("owner"), std::string("rep-17")).ok());
  });
}

TEST(SchemaWriteRights, RepCannotWriteOwner) {
  EXPECT_FALSE(Customer().CanWrite("rep", "customer", "owner"));
  const crdt::Record delta = OwnerChange();
  absl::Status s = Customer().CheckWriteRights(delta, "rep");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(std::string(s.message()),
            "record " + delta.id().ToString() +
                ": role \"rep\" may not write field \"owner\" (writers: manager, admin, replica)");
}

TEST(SchemaWriteRights, ManagerCanWriteOwnerAndTerritoryButNotBranch) {
  EXPECT_TRUE(Customer().CanWrite("manager", "customer", "owner"));
  EXPECT_TRUE(Customer().CanWrite("manager", "customer", "territory"));
  EXPECT_FALSE(Customer().CanWrite("manager", "customer", "branch"));
  EXPECT_TRUE(Customer().CanWrite("admin", "customer", "branch"));
  EXPECT_TRUE(Customer().CanWrite("replica", "customer", "branch"));
  EXPECT_TRUE(Customer().CheckWriteRights(OwnerChange(), "manager").ok());
}

TEST(SchemaWriteRights, EveryRoleWritesFieldsWithoutWriters) {
  for (const char* role : {"rep", "manager", "admin", "replica"}) {
    EXPECT_TRUE(Customer().CanWrite(role, "customer", "name")) << role;
    EXPECT_TRUE(Customer().CanWrite(role, "customer", "interactions.summary")) << role;
  }
}

TEST(SchemaWriteRights, SubFieldNeedsRightsOnItsContainerToo) {
  absl::StatusOr<Schema> schema = Schema::Parse(R"pb(
    types {
      name: "customer"
      fields {
        name: "audit"
        number: 1
        kind: TIMELINE
        writers: [ ADMIN ]
        fields { name: "note" number: 3 kind: VALUE type: STRING }
      }
    })pb");
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_FALSE(schema->CanWrite("rep", "customer", "audit.note"));
  EXPECT_TRUE(schema->CanWrite("admin", "customer", "audit.note"));
  Writer w;
  crdt::Record delta = w.Edit([](crdt::RecordEdit& e) {
    ASSERT_TRUE(e.AppendEntry(1, {{3, std::string("checked")}}).ok());
  });
  EXPECT_THAT(std::string(schema->CheckWriteRights(delta, "manager").message()),
              HasSubstr("role \"manager\" may not write field \"audit\" (writers: admin)"));
}

TEST(SchemaWriteRights, UnknownRoleMayWriteNothing) {
  EXPECT_FALSE(Customer().CanWrite("superuser", "customer", "name"));
  absl::Status s = Customer().CheckWriteRights(OwnerChange(), "Manager");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(s.message()), HasSubstr("unknown role \"Manager\" may write nothing"));
}

TEST(SchemaWriteRights, UnknownFieldsOnlyForAdminAndReplica) {
  Writer w;
  crdt::Record delta = w.Edit([](crdt::RecordEdit& e) {
    ASSERT_TRUE(e.Set(999, std::string("from a newer schema")).ok());
  });
  EXPECT_TRUE(Customer().CheckWriteRights(delta, "replica").ok());
  EXPECT_TRUE(Customer().CheckWriteRights(delta, "admin").ok());
  absl::Status s = Customer().CheckWriteRights(delta, "rep");
  EXPECT_EQ(s.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("role \"rep\" may not write field number 999, which schema "
                        "\"rapport-crm\" version 2 does not know"));
  EXPECT_FALSE(Customer().CanWrite("rep", "customer", "no_such_field"));
  EXPECT_TRUE(Customer().CanWrite("replica", "customer", "no_such_field"));
}

}  // namespace
}  // namespace rapport::schema
