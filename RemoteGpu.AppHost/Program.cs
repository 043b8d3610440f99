using Microsoft.Extensions.Configuration;

var builder = DistributedApplication.CreateBuilder(args);

// Generated on first run, kept in the state folder and printed once; or set Parameters:admin-password.
var adminPassword = builder.AddParameter("admin-password", new GenerateParameterDefault { MinLength = 16 }, secret: true, persist: true);
var baseDomain = builder.AddParameter("base-domain", "localhost", publishValueAsDefault: true);

var postgres = builder.AddPostgres("postgres");
var db = postgres.AddDatabase("remotegpu-db");
var redis = builder.AddRedis("redis");

var api = builder.AddProject("api", "../RemoteGpu.Api/RemoteGpu.Api.csproj")
    .WithReference(db)
    .WithReference(redis)
    .WithEnvironment("Platform__BaseDomain", baseDomain)
    .WithEnvironment("Bootstrap__AdminPassword", adminPassword)
    .WaitFor(db)
    .WaitFor(redis);

builder.AddProject("worker", "../RemoteGpu.Worker/RemoteGpu.Worker.csproj")
    .WithReference(db)
    .WithReference(redis)
    .WithEnvironment("Platform__BaseDomain", baseDomain)
    .WaitFor(api);

builder.AddProject("proxy", "../RemoteGpu.Proxy/RemoteGpu.Proxy.csproj")
    .WithReference(db)
    .WithReference(redis)
    .WithReference(api)
    .WithEnvironment("Platform__BaseDomain", baseDomain)
    .WithEndpoint("http", endpoint => endpoint.Port = builder.Configuration.GetValue("AppHost:ProxyPort", 5080))
    .WithExternalHttpEndpoints()
    .WaitFor(api);

builder.Build().Run();
