# syntax=docker/dockerfile:1
# Webhooks.Workers. Build context = the repository root:
#   docker build -f deploy/docker/Workers.Dockerfile -t webhooks-workers .
# BuildKit reads the ignore list beside this file (Workers.Dockerfile.dockerignore), so a local bin/ or obj/ never
# reaches the build (a host obj/project.assets.json would break the restore below). See README.md here.

ARG DOTNET_VERSION=10.0

FROM mcr.microsoft.com/dotnet/sdk:${DOTNET_VERSION} AS build
WORKDIR /src
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# Restore layer: only the files restore reads (central package versions, SDK pin, the project graph), so editing
# source does not download packages again.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY Contracts/Webhooks.Contracts.csproj Contracts/
COPY Persistence/Webhooks.Persistence.csproj Persistence/
COPY Workers/Webhooks.Workers.csproj Workers/
RUN dotnet restore Workers/Webhooks.Workers.csproj
# .editorconfig too: the build enforces code style with warnings as errors, as on a developer's machine.
COPY .editorconfig ./
COPY Contracts/ Contracts/
COPY Persistence/ Persistence/
COPY Workers/ Workers/
RUN dotnet publish Workers/Webhooks.Workers.csproj -c Release -o /app --no-restore -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime
WORKDIR /app
# The worker's only HTTP listener is its health port (Workers__HealthPort, /health/live and /health/ready); the
# program binds it itself, so the base image's ASPNETCORE_HTTP_PORTS=8080 is cleared (else Kestrel warns it is
# overridden). No secrets here: they come from the environment at run time (compose .env, Kubernetes Secret).
ENV ASPNETCORE_HTTP_PORTS= \
    Workers__HealthPort=8081 \
    OTEL_SERVICE_NAME=webhooks-workers \
    MASSTRANSIT_USAGE_TELEMETRY=false
EXPOSE 8081
# Files stay owned by root: the app user can read, not modify, its own binaries.
COPY --from=build /app ./
# The non-root "app" user of the .NET images (numeric, 1654), so Kubernetes' runAsNonRoot can verify it.
USER $APP_UID
# No argument: consume the providers in Workers__Providers. One-shot verbs: `migrate`, `deploy-topology`
# (e.g. `docker run … webhooks-workers migrate`); both must have run before the ingress takes traffic.
ENTRYPOINT ["dotnet", "Webhooks.Workers.dll"]
