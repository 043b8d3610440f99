using RemoteGpu.Proxy.Edge;
using RemoteGpu.Proxy.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapReverseProxy();
app.MapEnvironmentEdge();

app.Run();
