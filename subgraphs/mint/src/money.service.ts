import { badInput } from '@azora/kit';
import { Currency } from './entities/currency.entity';
import type { LedgerEntry } from './entities/ledger-entry.entity';
import { formatMinor } from './money';
import type { Context } from './schema';

/** Money as the API shows it: an amount and its currency. */
export interface Money {
  amount: string;
  currency: string;
}

/** Currencies and how money is shown: an exact decimal string in the currency's own precision, never a float. */
export class MoneyService {
  constructor(private readonly ctx: Context) {}

  /** Every currency Mint knows, by code: the `currencies` table is the source of truth. */
  currencies(): Promise<Currency[]> {
    return this.ctx.em.find(Currency, {}, { orderBy: { code: 'asc' } });
  }

  /** A currency by its ISO code; an unknown one is the caller's mistake. */
  async currency(code: string): Promise<Currency> {
    const currency = /^[A-Z]{3}$/.test(code) ? await this.ctx.em.findOne(Currency, { code }) : null;
    if (!currency) throw badInput(`Unknown currency "${code}"`, 'currency');
    return currency;
  }

  /** `minor` units of a currency as the API shows them (1234n USD → "12.34"). */
  async of(minor: bigint, currency: string): Promise<Money> {
    const found = await this.ctx.loaders.currencyByCode.load(currency);
    return { amount: formatMinor(minor, found?.minorDigits ?? 2), currency };
  }

  /** What an entry moved, without its sign: `direction` says which way. */
  entryAmount(entry: LedgerEntry): Promise<Money> {
    return this.of(entry.amountMinor < 0n ? -entry.amountMinor : entry.amountMinor, entry.currency);
  }
}
