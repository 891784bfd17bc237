import { allow, authenticated, each, person, role, signedInPerson, type ShieldRule } from './rules';

/**
 * A permission policy: a rule for every field, keyed by supergraph type and field. Under a type, the field `"*"` is the
 * rule for its fields not named (policy files use it); anything else missing is denied.
 */
export type Policy = Record<string, Record<string, ShieldRule>>;

/** The `"*"` key: every field of a type not named (and, only in the permissive policy, every type). */
export const ANY = '*';

/**
 * Azora's rule tree: the router evaluates it before anything is sent to a subgraph, deny by default. Whole-field
 * decisions (who may call this at all) live here; object-level ones (is this my account?) live in the subgraphs.
 * A new field is denied until it gets an entry here; a test fails until then.
 */
export const azoraPolicy: Policy = {
  Query: {
    me: allow,
    user: authenticated,
    users: role('admin'),
    apiKeys: person,
    account: authenticated,
    currencies: allow,
    transfer: authenticated,
    ledgerEntry: authenticated,
    hold: authenticated,
    ledgerReport: role('treasury', 'admin'),
    events: role('admin', 'operator'),
    event: role('admin', 'operator'),
    // The course catalogue, certificates (anyone may check one), skills and the job board are public.
    courses: allow,
    course: allow,
    certificate: allow,
    verifyCertificate: allow,
    skills: allow,
    jobs: allow,
    job: allow,
    application: authenticated,
    contract: authenticated,
  },
  Mutation: {
    signUp: allow,
    signIn: allow,
    refreshSession: allow,
    signOut: allow,
    createApiKey: signedInPerson,
    revokeApiKey: person,
    registerOAuthClient: role('admin'),
    grantRole: role('admin'),
    revokeRole: role('admin'),
    rotateSigningKey: role('admin'),
    openAccount: person,
    deposit: role('treasury', 'admin'),
    withdraw: role('treasury', 'admin'),
    transfer: person,
    placeHold: person,
    releaseHold: person,
    refundHold: person,
    createCourse: role('faculty', 'admin'),
    updateCourse: role('faculty', 'admin'),
    addModule: role('faculty', 'admin'),
    addLesson: role('faculty', 'admin'),
    publishCourse: role('faculty', 'admin'),
    archiveCourse: role('faculty', 'admin'),
    enroll: role('learner'),
    completeLesson: role('learner'),
    declareSkill: person,
    retractSkill: person,
    postJob: role('employer'),
    applyToJob: person,
    hire: role('employer'),
    completeContract: role('employer'),
    // Either party: the freelancer may be a learner only.
    cancelContract: person,
    disputeContract: person,
  },
  Subscription: {
    // Mint refuses anyone but the account's owner, treasury and admins; every event is read with the caller's rights.
    accountActivity: person,
    userSignedUp: role('admin'),
    events: role('admin', 'operator'),
    // Forge checks the job's poster and the contract's parties; every event is read with the caller's rights.
    jobApplications: person,
    contractUpdates: person,
  },
  // Reached only through the roots above; private fields are checked per object by Aegis.
  User: each(allow, [
    'id', 'displayName', 'email', 'roles', 'createdAt', 'accounts', 'enrollments', 'teaching', 'skills', 'applications', 'postedJobs', 'contracts',
  ]),
  AuthPayload: each(allow, ['accessToken', 'refreshToken', 'expiresIn', 'user']),
  UserConnection: each(allow, ['edges', 'pageInfo']),
  UserEdge: each(allow, ['cursor', 'node']),
  PageInfo: each(allow, ['hasNextPage', 'endCursor']),
  ApiKey: each(allow, ['id', 'name', 'prefix', 'scopes', 'expiresAt', 'lastUsedAt', 'revokedAt', 'createdAt']),
  ApiKeyCreated: each(allow, ['apiKey', 'secret']),
  OAuthClient: each(allow, ['id', 'name', 'roles', 'scopes', 'createdAt']),
  OAuthClientCreated: each(allow, ['client', 'clientSecret']),
  SigningKeyRotation: each(allow, ['kid', 'publishedKids']),
  // Mint checks ownership per object: accounts, entries, transfers and holds are their owners' (and treasury's).
  Account: each(allow, ['id', 'owner', 'kind', 'currency', 'balance', 'status', 'version', 'entries', 'createdAt']),
  Money: each(allow, ['amount', 'currency']),
  Currency: each(allow, ['code', 'name', 'minorDigits']),
  Transfer: each(allow, ['id', 'kind', 'fromAccountId', 'toAccountId', 'amount', 'memo', 'idempotencyKey', 'createdAt']),
  LedgerEntry: each(allow, ['id', 'account', 'transfer', 'direction', 'amount', 'balanceAfter', 'accountVersion', 'createdAt']),
  LedgerEntryConnection: each(allow, ['edges', 'pageInfo']),
  LedgerEntryEdge: each(allow, ['cursor', 'node']),
  Hold: each(allow, ['id', 'account', 'amount', 'status', 'reference', 'payeeAccountId', 'endedAt', 'createdAt']),
  LedgerReport: each(allow, ['currency', 'balanced', 'accounts', 'transfers', 'entries', 'total', 'outsideWorld', 'escrow', 'problems']),
  LedgerProblem: each(allow, ['accountId', 'transferId', 'problem']),
  // Nexus: reached only through the admin/operator roots above.
  Event: each(allow, ['id', 'cursor', 'topic', 'type', 'source', 'payload', 'occurredAt', 'loggedAt']),
  EventConnection: each(allow, ['edges', 'pageInfo']),
  EventEdge: each(allow, ['cursor', 'node']),
  // LMS checks per object: drafts are their instructor's, lesson content its course's learners', progress the learner's.
  Course: each(allow, ['id', 'title', 'summary', 'level', 'skills', 'status', 'instructor', 'modules', 'lessonCount', 'publishedAt', 'createdAt']),
  CourseConnection: each(allow, ['edges', 'pageInfo']),
  CourseEdge: each(allow, ['cursor', 'node']),
  CourseModule: each(allow, ['id', 'title', 'position', 'lessons']),
  Lesson: each(allow, ['id', 'title', 'position', 'content']),
  Enrollment: each(allow, ['id', 'course', 'learner', 'progress', 'completedLessonIds', 'completedAt', 'certificate', 'enrolledAt']),
  Certificate: each(allow, ['id', 'code', 'learner', 'course', 'courseTitle', 'skills', 'issuedAt', 'skillsGranted']),
  // Forge checks per object: applications are their applicant's and poster's, contracts their parties'.
  Skill: each(allow, ['slug', 'name']),
  UserSkill: each(allow, ['skill', 'verified', 'source', 'certificate', 'since']),
  Job: each(allow, ['id', 'title', 'description', 'skills', 'budget', 'status', 'poster', 'applications', 'createdAt']),
  JobConnection: each(allow, ['edges', 'pageInfo']),
  JobEdge: each(allow, ['cursor', 'node']),
  Application: each(allow, ['id', 'job', 'applicant', 'pitch', 'status', 'contract', 'createdAt']),
  Contract: each(allow, [
    'id', 'job', 'application', 'employer', 'freelancer', 'amount', 'status', 'statusReason', 'createdAt', 'updatedAt', 'escrow',
  ]),
  Escrow: each(allow, ['amount', 'status', 'placedAt', 'endedAt']),
};
