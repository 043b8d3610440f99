using RemoteGpu.Api.Apis;
using RemoteGpu.Api.Extensions;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddApplicationServices();

var app = builder.Build();

app.UseForwardedHeaders();
app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();

app.MapDefaultEndpoints();
app.MapOpenApi();
app.MapPlatformApi();
app.MapLoginPage();
app.MapAuthApi();
app.MapMeApi();
app.MapSshKeysApi();
app.MapUsersApi();
app.MapImagesApi();
app.MapEnvironmentsApi();
app.MapGrantsApi();
app.MapAuditApi();

app.Run();
