package policy

// exampleConfig is the configuration the tests (and docs/platform.md) use.
const exampleConfig = `# vigie serve configuration
teams:
  payments:
    namespaces:
      payments: production
      payments-staging: staging
    selector: team=payments
    services: [checkout, ledger]
  search:
    namespaces:
      search: production
      search-dev: dev
    selector: team=search
users:
  alice: {payments: member}
  olivia: {payments: oncall}
  lena: {payments: lead}
  ada: {payments: admin}
  bob: {search: member}
  sam: {search: lead, payments: member}
policy:
  production:
    scale:   {member: deny, oncall: approval, lead: allow, admin: allow}
    restart: {oncall: allow, lead: allow, admin: allow}
    rollback: {oncall: allow, lead: allow, admin: allow}
    delete-pod: {oncall: allow, lead: allow, admin: allow}
  staging:
    scale:   {member: allow, oncall: allow, lead: allow, admin: allow}
    restart: {member: allow, oncall: allow, lead: allow, admin: allow}
  dev:
    restart: {member: allow}
limits:
  maxReplicas: 8
`
