// Key Vault (RBAC authorization) holding the cookie signing keys. The app reads them through Key Vault references
// with its user-assigned identity, which holds Key Vault Secrets User on this vault only.
param name string
param location string = resourceGroup().location
param tags { *: string } = {}
param appPrincipalId string

@secure()
param signingKey string

@secure()
param verifyOnlyKey string = ''

@description('Whether verifyOnlyKey is set. A plain bool: the output below must not be computed from a @secure() value.')
param hasVerifyOnlyKey bool = false

var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2026-05-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    // Soft delete, but no purge protection: the vault is named per environment, and with purge protection a vault
    // removed by `azd down` would block `azd up` under the same name for the whole retention period. `azd down --purge`
    // purges it instead. The vault holds only the cookie keys, which also live in the azd environment (.azure/<env>/.env).
    // enablePurgeProtection is omitted, not false: Key Vault refuses false, since enabling it is irreversible.
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    publicNetworkAccess: 'Enabled'
  }
}

resource signing 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = {
  parent: vault
  name: 'session-key-0'
  properties: {
    value: signingKey
    contentType: 'Keygrip signing key (Session:Keys:0)'
  }
}

resource verifyOnly 'Microsoft.KeyVault/vaults/secrets@2026-05-15' = if (hasVerifyOnlyKey) {
  parent: vault
  name: 'session-key-1'
  properties: {
    value: verifyOnlyKey
    contentType: 'Keygrip verify-only key (Session:Keys:1)'
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  scope: vault
  name: guid(vault.id, appPrincipalId, keyVaultSecretsUser)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output name string = vault.name

@export()
@description('App settings Session__Keys__<n>, as Key Vault references; a key that is not set gets no setting.')
type signingKeySettings = {
  Session__Keys__0: string
  Session__Keys__1: string?
}

output signingKeyReferences signingKeySettings = union(
  { Session__Keys__0: '@Microsoft.KeyVault(VaultName=${vault.name};SecretName=${signing.name})' },
  hasVerifyOnlyKey ? { Session__Keys__1: '@Microsoft.KeyVault(VaultName=${vault.name};SecretName=session-key-1)' } : {}
)
