/** A row of `things`. */
export interface Things {
  id: string;
  serial_no: number;
  code: string;
  name: string;
  Label: string | null;
  kind: string;
  qty: number;
  level: number | null;
  big: string | null;
  price: string | null;
  ratio: number | null;
  flag: boolean;
  at: Date;
  local_at: Date | null;
  born: Date | null;
  alarm: string | null;
  span: unknown | null;
  data: JsonValue | null;
  blob: Buffer | null;
  tags: string[];
  moods: string | null;
  mood: Mood | null;
  short: string | null;
  scores: number[] | null;
  addr: unknown | null;
  email: string | null;
  total: number | null;
}

/** The columns of an insert into `things` (optional: those with a default or nullable). */
export interface ThingsInsert {
  serial_no?: number;
  code: string;
  name: string;
  Label?: string | null;
  kind?: string;
  qty: number;
  level?: number | null;
  big?: string | null;
  price?: string | null;
  ratio?: number | null;
  flag?: boolean;
  at?: Date;
  local_at?: Date | null;
  born?: Date | null;
  alarm?: string | null;
  span?: unknown | null;
  data?: JsonValue | null;
  blob?: Buffer | null;
  tags?: string[];
  moods?: string | null;
  mood?: Mood | null;
  short?: string | null;
  scores?: number[] | null;
  addr?: unknown | null;
  email?: string | null;
}

// check things_qty_or_price is not expressed here: CHECK (qty > 0 OR price IS NOT NULL)
export const thingsSchema = z.object({
  id: z.string().regex(/^[+-]?[0-9]+$/u),
  serial_no: z.number().int().gte(-2147483648).lte(2147483647),
  code: z.string().regex(/^[A-Z]{2}-[0-9]+$/u, { message: "check things_code_check" }).refine((s) => chars(s) <= 20, { message: "at most 20 characters" }),
  name: z.string().refine((s) => chars(s) >= 1, { message: "check things_name_check" }).refine((s) => chars(s) <= 100, { message: "check things_name_check" }),
  Label: z.string().refine((s) => chars(s) < 30, { message: "check things_Label_check" }).nullable(),
  kind: z.string().refine((s) => ["a", "b"].includes(s), { message: "check things_kind_check" }),
  qty: z.number().int().gte(-2147483648).lte(2147483647).gte(0, { message: "check things_qty_check" }),
  level: z.number().int().gte(-32768).lte(32767).refine((n) => [1, 2, 3].includes(n), { message: "check things_level_check" }).nullable(),
  big: z.string().regex(/^[+-]?[0-9]+$/u).refine((s) => /^[+-]?[0-9]+$/u.test(s) && BigInt(s) > -1n, { message: "check things_big_check" }).nullable(),
  // check things_price_check is not expressed here: CHECK (price > 0::numeric)
  price: z.string().nullable(),
  ratio: z.number().lte(1.5, { message: "check things_ratio_check" }).nullable(),
  flag: z.boolean(),
  at: z.date(),
  local_at: z.date().nullable(),
  born: z.date().nullable(),
  alarm: z.string().nullable(),
  // interval: node-postgres returns a postgres-interval object
  span: z.unknown().nullable(),
  data: jsonValueSchema.nullable(),
  blob: z.instanceof(Buffer).nullable(),
  tags: z.array(z.string()),
  // public.mood[]: node-postgres returns this array as its text ("{a,b}"); select it as `::text[]` for a string[]
  moods: z.string().nullable(),
  mood: moodSchema.nullable(),
  // check short_code_not_admin of domain short_code is not expressed here: CHECK (VALUE::text <> 'admin'::text)
  short: z.string().regex(/^[a-z]+$/u, { message: "check short_code_check" }).refine((s) => chars(s) <= 8, { message: "at most 8 characters" }).nullable(),
  // numeric[]: node-postgres parses numeric arrays with parseFloat (precision can be lost); select it as `::text[]` for exact values
  scores: z.array(z.number()).nullable(),
  // PostgreSQL type `inet` has no mapping: typed unknown
  addr: z.unknown().nullable(),
  // check things_email_check is not expressed here: CHECK (email ~~ '%@%'::text)
  email: z.string().nullable(),
  total: z.number().int().gte(-2147483648).lte(2147483647).nullable(),
});

// check things_qty_or_price is not expressed here: CHECK (qty > 0 OR price IS NOT NULL)
export const thingsInsertSchema = z.object({
  serial_no: z.number().int().gte(-2147483648).lte(2147483647).optional(),
  code: z.string().regex(/^[A-Z]{2}-[0-9]+$/u, { message: "check things_code_check" }).refine((s) => chars(s) <= 20, { message: "at most 20 characters" }),
  name: z.string().refine((s) => chars(s) >= 1, { message: "check things_name_check" }).refine((s) => chars(s) <= 100, { message: "check things_name_check" }),
  Label: z.string().refine((s) => chars(s) < 30, { message: "check things_Label_check" }).nullable().optional(),
  kind: z.string().refine((s) => ["a", "b"].includes(s), { message: "check things_kind_check" }).optional(),
  qty: z.number().int().gte(-2147483648).lte(2147483647).gte(0, { message: "check things_qty_check" }).lt(1000, { message: "check things_later" }),
  level: z.number().int().gte(-32768).lte(32767).refine((n) => [1, 2, 3].includes(n), { message: "check things_level_check" }).nullable().optional(),
  big: z.string().regex(/^[+-]?[0-9]+$/u).refine((s) => /^[+-]?[0-9]+$/u.test(s) && BigInt(s) > -1n, { message: "check things_big_check" }).nullable().optional(),
  // check things_price_check is not expressed here: CHECK (price > 0::numeric)
  price: z.string().nullable().optional(),
  ratio: z.number().lte(1.5, { message: "check things_ratio_check" }).nullable().optional(),
  flag: z.boolean().optional(),
  at: z.date().optional(),
  local_at: z.date().nullable().optional(),
  born: z.date().nullable().optional(),
  alarm: z.string().nullable().optional(),
  // interval: node-postgres returns a postgres-interval object
  span: z.unknown().nullable().optional(),
  data: jsonValueSchema.nullable().optional(),
  blob: z.instanceof(Buffer).nullable().optional(),
  tags: z.array(z.string()).optional(),
  // public.mood[]: node-postgres returns this array as its text ("{a,b}"); select it as `::text[]` for a string[]
  moods: z.string().nullable().optional(),
  mood: moodSchema.nullable().optional(),
  // check short_code_not_admin of domain short_code is not expressed here: CHECK (VALUE::text <> 'admin'::text)
  short: z.string().regex(/^[a-z]+$/u, { message: "check short_code_check" }).refine((s) => chars(s) <= 8, { message: "at most 8 characters" }).nullable().optional(),
  // numeric[]: node-postgres parses numeric arrays with parseFloat (precision can be lost); select it as `::text[]` for exact values
  scores: z.array(z.number()).nullable().optional(),
  // PostgreSQL type `inet` has no mapping: typed unknown
  addr: z.unknown().nullable().optional(),
  // check things_email_check is not expressed here: CHECK (email ~~ '%@%'::text)
  email: z.string().nullable().optional(),
});

// Tenancy is off for this database: no withTenant helper.
