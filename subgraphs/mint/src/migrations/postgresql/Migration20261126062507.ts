import { Migration } from '@mikro-orm/migrations';

export class Migration20261126062507 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "accounts" ("id" varchar(36) not null, "owner_id" varchar(36) not null, "currency" varchar(3) not null, "balance_minor" bigint not null default 0, "created_at" timestamptz not null, constraint "accounts_pkey" primary key ("id"));`);
    this.addSql(`create index "accounts_owner_id_index" on "accounts" ("owner_id");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "accounts" cascade;`);
  }

}
