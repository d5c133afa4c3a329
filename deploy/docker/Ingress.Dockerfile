# syntax=docker/dockerfile:1
# Webhooks.Ingress. Build context = the repository root:
#   docker build -f deploy/docker/Ingress.Dockerfile -t webhooks-ingress .
# BuildKit reads the ignore list beside this file (Ingress.Dockerfile.dockerignore), so a local bin/ or obj/ never
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
COPY Ingress/Webhooks.Ingress.csproj Ingress/
RUN dotnet restore Ingress/Webhooks.Ingress.csproj
# .editorconfig too: the build enforces code style with warnings as errors, as on a developer's machine.
COPY .editorconfig ./
COPY Contracts/ Contracts/
COPY Persistence/ Persistence/
COPY Ingress/ Ingress/
RUN dotnet publish Ingress/Webhooks.Ingress.csproj -c Release -o /app --no-restore -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:${DOTNET_VERSION} AS runtime
WORKDIR /app
# ASPNETCORE_URLS is what the program documents; the base image's ASPNETCORE_HTTP_PORTS=8080 is cleared so Kestrel
# does not warn that one overrides the other. No secrets here: connection strings, passwords and Ingress__AdminKey
# come from the environment at run time (compose .env, Kubernetes Secret).
ENV ASPNETCORE_URLS=http://+:5080 \
    ASPNETCORE_HTTP_PORTS= \
    OTEL_SERVICE_NAME=webhooks-ingress \
    MASSTRANSIT_USAGE_TELEMETRY=false
EXPOSE 5080
# Files stay owned by root: the app user can read, not modify, its own binaries.
COPY --from=build /app ./
# The non-root "app" user of the .NET images (numeric, 1654), so Kubernetes' runAsNonRoot can verify it.
USER $APP_UID
ENTRYPOINT ["dotnet", "Webhooks.Ingress.dll"]
