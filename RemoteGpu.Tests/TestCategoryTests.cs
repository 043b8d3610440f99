using RemoteGpu.Tests.Infrastructure;
using RemoteGpu.Tests.Worker.Runtime;

namespace RemoteGpu.Tests;

/// <summary>
/// <c>--filter "Category!=E2E&amp;Category!=Integration"</c> (the README's fast set) must leave out every test that starts
/// the platform or a container: a class that joins one of those collections without its category would run there.
/// </summary>
public sealed class TestCategoryTests
{
    [Theory]
    [InlineData(PlatformCollection.Name, "E2E")]
    [InlineData(DockerRuntimeCollection.Name, "Integration")]
    public void EveryClassOfACollection_CarriesItsCategory(string collection, string category)
    {
        var members = typeof(TestCategoryTests).Assembly.GetTypes()
            .Where(type => Arguments<CollectionAttribute>(type).Any(arguments => Equals(arguments[0], collection)))
            .ToList();
        var unmarked = members
            .Where(type => !Arguments<TraitAttribute>(type).Any(arguments => Equals(arguments[0], "Category") && Equals(arguments[1], category)))
            .Select(type => type.Name);

        Assert.NotEmpty(members);
        Assert.Empty(unmarked);
    }

    private static IEnumerable<object?[]> Arguments<TAttribute>(Type type) =>
        type.CustomAttributes
            .Where(attribute => attribute.AttributeType == typeof(TAttribute))
            .Select(attribute => attribute.ConstructorArguments.Select(argument => argument.Value).ToArray());
}
