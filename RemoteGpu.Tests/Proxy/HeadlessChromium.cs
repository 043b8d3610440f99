using OpenQA.Selenium.Chrome;
using RemoteGpu.Tests.Infrastructure;

namespace RemoteGpu.Tests.Proxy;

/// <summary>
/// Debian's Chromium and chromedriver, named explicitly so that Selenium Manager never looks for (or
/// downloads) either; headless, with a profile of its own that is deleted afterwards.
/// </summary>
internal sealed class HeadlessChromium : IDisposable
{
    public static readonly TimeSpan PageTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Screenshots go beside the test results (<c>scripts/test.sh</c> writes those to the same folder).</summary>
    public static readonly string ScreenshotFolder = Path.Combine(Repository.Root, "TestResults", "screenshots");

    private const string ChromeDriver = "/usr/bin/chromedriver";
    private const string Chromium = "/usr/bin/chromium";
    private readonly DirectoryInfo _profile = Directory.CreateTempSubdirectory("remotegpu-chromium-");
    private readonly ChromeDriverService _service;

    public HeadlessChromium()
    {
        Assert.True(File.Exists(ChromeDriver) && File.Exists(Chromium),
            $"{Chromium} and {ChromeDriver} are missing: run scripts/prerequisites.sh (packages chromium, chromium-driver).");
        _service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(ChromeDriver)!, Path.GetFileName(ChromeDriver));
        _service.SuppressInitialDiagnosticInformation = true;
        _service.HideCommandPromptWindow = true;
        var options = new ChromeOptions { BinaryLocation = Chromium };
        options.AddArguments(
            "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
            "--no-default-browser-check", "--no-proxy-server", "--window-size=1280,800", $"--user-data-dir={_profile.FullName}");
        Driver = new ChromeDriver(_service, options, TimeSpan.FromSeconds(60));
        Driver.Manage().Timeouts().PageLoad = PageTimeout;
    }

    public ChromeDriver Driver { get; }

    /// <summary>Waits for <paramref name="condition"/>; on timeout the failure says where the browser is.</summary>
    public Task WaitAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        Poll.UntilAsync(condition, timeout ?? PageTimeout, $"{what} (the browser is at {Driver.Url}: {Driver.Title})");

    /// <summary>Saves what the browser shows as <c>TestResults/screenshots/&lt;name&gt;.png</c>; returns its path.</summary>
    public string SaveScreenshot(string name)
    {
        Directory.CreateDirectory(ScreenshotFolder);
        var path = Path.Combine(ScreenshotFolder, name + ".png");
        Driver.GetScreenshot().SaveAsFile(path);
        return path;
    }

    public void Dispose()
    {
        Driver.Quit();
        Driver.Dispose();
        _service.Dispose();
        _profile.Delete(recursive: true);
    }
}
