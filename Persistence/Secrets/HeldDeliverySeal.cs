using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.DataProtection;
using Webhooks.Contracts;

namespace Webhooks.Persistence.Secrets;

/// <summary>
/// The ingress's seal on a <see cref="HeldDelivery"/>: a SHA-256 digest of every other field, protected with the Data
/// Protection key ring the ingress and the workers share. Broker credentials let anyone publish to the holding queue;
/// only a holder of the key ring (and of the certificate that encrypts it) can make a seal that verifies, and a seal
/// verifies only for the exact fields it was made for.
/// </summary>
public sealed class HeldDeliverySeal(IDataProtectionProvider provider)
{
    private static readonly byte[] Domain = "webhooks:held-delivery:v1"u8.ToArray();

    private readonly IDataProtector _protector = provider.CreateProtector("Webhooks.HeldDelivery.Seal.v1");

    /// <summary>The seal for the message's fields (its own <see cref="HeldDelivery.Seal"/> is not part of it).</summary>
    public string Seal(HeldDelivery message) => Convert.ToBase64String(_protector.Protect(Digest(message)));

    /// <summary>
    /// True when the message carries a seal made for exactly these fields with a key of the ring. A missing, malformed or
    /// foreign seal is false; a key ring that cannot be read at all (the database is down) throws, so the caller retries.
    /// </summary>
    public bool Verifies(HeldDelivery message)
    {
        if (string.IsNullOrEmpty(message.Seal))
        {
            return false;
        }
        byte[] sealedDigest;
        try
        {
            sealedDigest = _protector.Unprotect(Convert.FromBase64String(message.Seal));
        }
        catch (Exception e) when (e is FormatException || (e is CryptographicException && !IsStorageFailure(e)))
        {
            return false;
        }
        return CryptographicOperations.FixedTimeEquals(sealedDigest, Digest(message));
    }

    /// <summary>
    /// Data Protection wraps whatever fails inside it in a <see cref="CryptographicException"/>, a key ring that could not be
    /// read from PostgreSQL included: that is an outage to wait out, not a seal that does not verify.
    /// </summary>
    private static bool IsStorageFailure(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is Npgsql.NpgsqlException or IOException or System.Net.Sockets.SocketException or TimeoutException)
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>Loads the key ring (and makes its first key where allowed), so sealing works later while PostgreSQL is down.</summary>
    public void LoadKeyRing() => _protector.Protect(Domain);

    private static byte[] Digest(HeldDelivery message)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> scratch = stackalloc byte[16];
        hash.AppendData(Domain);
        AppendGuid(hash, message.DeliveryId, scratch);
        AppendGuid(hash, message.IntegrationId, scratch);
        AppendGuid(hash, message.AccountId ?? Guid.Empty, scratch);
        AppendText(hash, message.Provider.ToWireName(), scratch);
        BinaryPrimitives.WriteInt64BigEndian(scratch, message.ReceivedAt.UtcTicks);
        hash.AppendData(scratch[..8]);
        hash.AppendData([message.SignatureVerified ? (byte)1 : (byte)0]);
        AppendText(hash, message.Headers, scratch);
        AppendText(hash, message.ContentType, scratch);
        AppendText(hash, message.SourceDeliveryId, scratch);
        AppendBytes(hash, message.Body, scratch);
        return hash.GetHashAndReset();
    }

    private static void AppendGuid(IncrementalHash hash, Guid value, Span<byte> scratch)
    {
        value.TryWriteBytes(scratch, bigEndian: true, out _);
        hash.AppendData(scratch[..16]);
    }

    private static void AppendText(IncrementalHash hash, string? value, Span<byte> scratch) =>
        AppendBytes(hash, value is null ? null : Encoding.UTF8.GetBytes(value), scratch);

    /// <summary>Length-prefixed (-1 for null), so no two different field lists hash the same bytes.</summary>
    private static void AppendBytes(IncrementalHash hash, byte[]? value, Span<byte> scratch)
    {
        BinaryPrimitives.WriteInt32BigEndian(scratch, value?.Length ?? -1);
        hash.AppendData(scratch[..4]);
        if (value is not null)
        {
            hash.AppendData(value);
        }
    }
}
