using Microsoft.Extensions.DependencyInjection;
using RemoteGpu.AppHost;

var builder = DistributedApplication.CreateBuilder(args);
var settings = AppHostSettings.Read(builder);

// Generated on first run and kept in the AppHost's user secrets; or set Parameters:admin-password.
var adminPassword = builder.AddParameter("admin-password", new GenerateParameterDefault { MinLength = 16 }, secret: true, persist: true);
// A parameter given a value ignores configuration: read Parameters:<name> first, so that run mode can set it too.
var baseDomain = builder.AddParameter("base-domain", builder.Configuration["Parameters:base-domain"] ?? "localhost", publishValueAsDefault: true);
// Environments on a domain of their own (env-<id>.<environment-domain>), the production recommendation; empty: under base-domain.
var environmentDomain = builder.AddParameter("environment-domain", builder.Configuration["Parameters:environment-domain"] ?? "", publishValueAsDefault: true);

var postgres = builder.AddPostgres("postgres")
    .WithStandIn(StandInImages.Postgres, settings.StandInImages)
    .WithDataVolume(settings.DataVolumeName("postgres"));
var db = postgres.AddDatabase("remotegpu-db");
var redis = builder.AddRedis("redis")
    .WithStandIn(StandInImages.Redis, settings.StandInImages)
    .WithDataVolume(settings.DataVolumeName("redis"));

// Services read ConnectionStrings__<name> and services__<name>__http__0, nothing else of a reference.
const ReferenceEnvironmentInjectionFlags ServiceReferences = ReferenceEnvironmentInjectionFlags.ConnectionString | ReferenceEnvironmentInjectionFlags.ServiceDiscovery;

var api = builder.AddProject<Projects.RemoteGpu_Api>("api")
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/health")
    .WithReferenceEnvironment(ServiceReferences)
    .WithReference(db)
    .WithReference(redis)
    .WithEnvironment("Platform__BaseDomain", baseDomain)
    .WithEnvironment("Platform__EnvironmentDomain", environmentDomain)
    .WithEnvironment("Bootstrap__AdminPassword", adminPassword)
    .WaitFor(db)
    .WaitFor(redis);

builder.AddProject<Projects.RemoteGpu_Worker>("worker")
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/health")
    .WithReferenceEnvironment(ServiceReferences)
    .WithReference(db)
    .WithReference(redis)
    .WithEnvironment("Platform__BaseDomain", baseDomain)
    .WithEnvironment("Platform__EnvironmentDomain", environmentDomain)
    .WaitFor(api);

// The edge is the platform's one public door: not behind DCP's proxy, so no extra hop on every request.
var proxy = builder.AddProject<Projects.RemoteGpu_Proxy>("proxy")
    .WithHttpEndpoint(port: settings.EdgePort, isProxied: false)
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health")
    .WithReferenceEnvironment(ServiceReferences)
    .WithReference(db)
    .WithReference(redis)
    .WithReference(api)
    .WithEnvironment("Platform__BaseDomain", baseDomain)
    .WithEnvironment("Platform__EnvironmentDomain", environmentDomain)
    .WaitFor(api);

// Access info (jupyter.url, code_server.url) opens through the edge as users reach it.
api.WithEnvironment("Platform__EdgeUrl", proxy.GetEndpoint("http"));

builder.Services.AddHostedService<ReadyBanner>();
builder.Services.AddHostedService<StopServicesFirst>();

builder.Build().Run();
