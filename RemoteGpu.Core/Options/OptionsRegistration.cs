using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace RemoteGpu.Core.Options;

public static class OptionsRegistration
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> to a configuration section and validates it when the host
    /// starts, so a bad setting stops the service with a message naming it, not at the first request.
    /// </summary>
    public static OptionsBuilder<TOptions> AddValidatedOptions<TOptions>(this IServiceCollection services, string sectionName)
        where TOptions : class =>
        services.AddOptions<TOptions>().BindConfiguration(sectionName).ValidateDataAnnotations().ValidateOnStart();
}
