import { Migration } from '@mikro-orm/migrations';

export class Migration20261126062507 extends Migration {

  override async up(): Promise<void> {
    this.addSql(`create table \`accounts\` (\`id\` text not null, \`owner_id\` text not null, \`currency\` text not null, \`balance_minor\` bigint not null default 0, \`created_at\` datetime not null, primary key (\`id\`));`);
    this.addSql(`create index \`accounts_owner_id_index\` on \`accounts\` (\`owner_id\`);`);
  }

}
