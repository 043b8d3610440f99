using RemoteGpu.Proxy.Edge;
using RemoteGpu.Proxy.Extensions;
using RemoteGpu.Proxy.Tls;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();
builder.AddEdgeTls();

var app = builder.Build();
EnvironmentEdge.WithoutPipelineAuthentication(app);

app.UseExceptionHandler();
app.UseEdgeTls();
app.MapDefaultEndpoints();
app.MapReverseProxy();
EnvironmentEdge.MapEnvironmentEdge(app);

app.Run();
