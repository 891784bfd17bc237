import { Migration } from '@mikro-orm/migrations';

export class Migration20261126062506 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table "users" ("id" varchar(36) not null, "email" varchar(320) not null, "display_name" varchar(120) not null, "roles" jsonb not null, "created_at" timestamptz not null, constraint "users_pkey" primary key ("id"));`);
    this.addSql(`alter table "users" add constraint "users_email_unique" unique ("email");`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop table if exists "users" cascade;`);
  }

}
