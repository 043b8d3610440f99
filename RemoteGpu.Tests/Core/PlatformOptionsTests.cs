using System.ComponentModel.DataAnnotations;
using RemoteGpu.Core.Options;

namespace RemoteGpu.Tests.Core;

public sealed class PlatformOptionsTests
{
    [Theory]
    [InlineData("localhost", true)]
    [InlineData("gpu.example.com", true)]
    [InlineData("a-b.c1", true)]
    [InlineData("GPU.example.com", false)]
    [InlineData("-bad.example.com", false)]
    [InlineData("bad_underscore.com", false)]
    [InlineData("http://gpu.example.com", false)]
    [InlineData("", false)]
    public void BaseDomain_IsValidatedAsALowerCaseDnsName(string baseDomain, bool valid)
    {
        var options = new PlatformOptions { BaseDomain = baseDomain };
        var results = new List<ValidationResult>();

        var ok = Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);

        Assert.Equal(valid, ok);
        if (!valid)
        {
            Assert.Contains(results, r => r.MemberNames.Contains(nameof(PlatformOptions.BaseDomain)));
        }
    }
}
