using System.Text;
using FluentValidation;

namespace RemoteGpu.Api.Validation;

internal static class PasswordRules
{
    public const int MinimumLength = 10;

    /// <summary>bcrypt reads at most 72 bytes; a longer password would be silently truncated.</summary>
    public const int MaximumLength = 72;

    public static IRuleBuilderOptions<T, string?> NewPassword<T>(this IRuleBuilder<T, string?> rule) =>
        rule.NotEmpty()
            .MinimumLength(MinimumLength)
            .Must(p => p is null || Encoding.UTF8.GetByteCount(p) <= MaximumLength)
            .WithMessage($"'{{PropertyName}}' must be at most {MaximumLength} bytes.");

    public static IRuleBuilderOptions<T, string?> UserName<T>(this IRuleBuilder<T, string?> rule) =>
        rule.NotEmpty()
            .MaximumLength(32)
            .Matches("^[a-z][a-z0-9_.-]{1,31}$")
            .WithMessage("'{PropertyName}' must be 2–32 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter.");
}
