// Access Requests bot on Azure, keyless end to end:
//   user-assigned managed identity ─┬─ is the bot's identity (Azure Bot, msaAppType UserAssignedMSI)
//                                   ├─ reads/writes Table Storage (role Storage Table Data Contributor; shared keys off)
//                                   └─ calls Microsoft Graph (application permissions granted after provisioning, see docs/deploy.md)
//   App Service plan (Linux) + web app (Node 20 LTS) running `node dist/src/index.js`
//   Azure Bot (global) with the Microsoft Teams channel, messaging endpoint https://<site>/api/messages
//
// No secret is created, passed or stored: no BOT_PASSWORD, no storage key or connection string.
// Deployed by the Microsoft 365 Agents Toolkit (m365agents.yml, arm/deploy) or by hand:
//   az deployment group create -g <rg> -f infra/main.bicep -p resourceBaseName=accessbot

targetScope = 'resourceGroup'

@minLength(3)
@maxLength(16)
@description('Prefix of every resource name (letters, digits, hyphens). A hash of the resource group is appended to the names that must be globally unique.')
param resourceBaseName string = 'accessbot'

@description('Region of the identity, storage and App Service. The Azure Bot itself is always global.')
param location string = resourceGroup().location

@description('App Service plan SKU (Linux). Basic or higher: the bot needs Always On for its one-minute scheduler.')
@allowed([
  'B1'
  'B2'
  'B3'
  'S1'
  'S2'
  'S3'
  'P0v3'
  'P1v3'
  'P2v3'
])
param appServicePlanSku string = 'B1'

@description('Azure Bot SKU: F0 (free, standard channels such as Teams are free anyway) or S1.')
@allowed([
  'F0'
  'S1'
])
param botSku string = 'F0'

@maxLength(42)
@description('Display name of the Azure Bot resource.')
param botDisplayName string = 'Access Requests'

@description('Path of the catalog file on the web app. The default is catalog.json deployed with the app (wwwroot is the working folder); a file under /home/data survives redeployments.')
param catalogFile string = '/home/site/wwwroot/catalog.json'

@description('Prefix of every table name the bot creates (letters and digits, starting with a letter); empty for none.')
param tablesPrefix string = ''

@description('Microsoft Graph root. Change only for a national cloud.')
param graphBaseUrl string = 'https://graph.microsoft.com/v1.0'

@description('The Teams app\'s id in the organisation\'s app catalog (appCatalogs/teamsApps id, not the manifest id), used to install the app for approvers through Graph. Empty: no install. Known only after the app is published to the org catalog, see docs/deploy.md.')
param teamsAppCatalogId string = ''

@description('Bot Connector URL for proactive messages to people the bot has not heard from, e.g. https://smba.trafficmanager.net/teams/. Empty: the last serviceUrl seen from the tenant.')
param teamsServiceUrl string = ''

@description('Log level of the bot (JSON lines on stdout, visible in the App Service log stream).')
@allowed([
  'debug'
  'info'
  'warn'
  'error'
])
param logLevel string = 'info'

@description('Extra app settings ({name, value} objects) appended after the ones this template sets. No secrets: everything here is keyless.')
param additionalAppSettings array = []

var suffix = uniqueString(resourceGroup().id)
var identityName = '${resourceBaseName}-identity'
var planName = '${resourceBaseName}-plan'
var webAppName = '${resourceBaseName}-${suffix}'
var botServiceName = '${resourceBaseName}-${suffix}'
var storageAccountName = take(toLower('${replace(resourceBaseName, '-', '')}${suffix}'), 24)
// Built-in role "Storage Table Data Contributor": read, write and delete tables and entities.
var storageTableDataContributorRoleId = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'

// The bot's single identity: Bot Framework token (UserAssignedMSI), Table Storage and Microsoft Graph.
resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: identityName
  location: location
}

// Table Storage reachable only with Entra tokens: shared key (account keys, SAS, connection strings) is disabled.
resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageAccountName
  location: location
  sku: {
    name: 'Standard_LRS'
  }
  kind: 'StorageV2'
  properties: {
    accessTier: 'Hot'
    allowSharedKeyAccess: false
    defaultToOAuthAuthentication: true
    allowBlobPublicAccess: false
    allowCrossTenantReplication: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    publicNetworkAccess: 'Enabled'
  }
}

resource tableDataContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, identity.id, storageTableDataContributorRoleId)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributorRoleId)
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
  }
}

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: planName
  location: location
  kind: 'linux'
  sku: {
    name: appServicePlanSku
  }
  properties: {
    reserved: true // Linux
  }
}

resource webApp 'Microsoft.Web/sites@2023-12-01' = {
  name: webAppName
  location: location
  kind: 'app,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.id}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    siteConfig: {
      linuxFxVersion: 'NODE|20-lts'
      appCommandLine: 'node dist/src/index.js'
      alwaysOn: true
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      http20Enabled: true
      healthCheckPath: '/healthz'
      // Every setting the bot reads (CONTRACT §2, src/config.ts). test/unit/infra.test.ts checks that each one is
      // either set here or documented there as optional, and that no secret appears in this file.
      // Not set on purpose:
      //   PORT: App Service sets it for the Node container (8080) and routes HTTPS traffic to it.
      //   BOT_PASSWORD, AZURE_CLIENT_SECRET, TABLES_CONNECTION_STRING: the managed identity needs no secret.
      //   WEBSITE_NODE_DEFAULT_VERSION: Windows only; linuxFxVersion picks Node 20 on Linux.
      //   NODE_ENV=production: the build on App Service (npm install + npm run build) needs the dev dependencies.
      appSettings: concat([
        {
          name: 'BOT_ID'
          value: identity.properties.clientId
        }
        {
          name: 'BOT_TYPE'
          value: 'UserAssignedMSI'
        }
        {
          name: 'BOT_TENANT_ID'
          value: identity.properties.tenantId
        }
        {
          // The bot serves the tenant its identity lives in: Teams and the Azure subscription share one Entra tenant.
          name: 'TENANT_ID'
          value: identity.properties.tenantId
        }
        {
          // DefaultAzureCredential → ManagedIdentityCredential with this user-assigned identity (Graph and Tables).
          name: 'AZURE_CLIENT_ID'
          value: identity.properties.clientId
        }
        {
          name: 'TABLES_ENDPOINT'
          value: storage.properties.primaryEndpoints.table
        }
        {
          name: 'TABLES_PREFIX'
          value: tablesPrefix
        }
        {
          name: 'GRAPH_BASE_URL'
          value: graphBaseUrl
        }
        {
          name: 'CATALOG_FILE'
          value: catalogFile
        }
        {
          name: 'TEAMS_APP_ID'
          value: teamsAppCatalogId
        }
        {
          name: 'TEAMS_SERVICE_URL'
          value: teamsServiceUrl
        }
        {
          name: 'LOG_LEVEL'
          value: logLevel
        }
        {
          // Not loopback: with BOT_ID set every /api/messages request is authenticated by the Bot Framework SDK.
          name: 'HOST'
          value: '0.0.0.0'
        }
        {
          // zipDeploy uploads the sources; App Service (Oryx) runs npm install and npm run build (emits dist/).
          name: 'SCM_DO_BUILD_DURING_DEPLOYMENT'
          value: 'true'
        }
      ], additionalAppSettings)
    }
  }
  dependsOn: [
    tableDataContributor
  ]
}

// The bot logs one JSON line per event to stdout/stderr (a refused configuration is one line, then exit 1). On Linux,
// "container logging" to the file system keeps that output for `az webapp log tail` and the portal's Log stream; the
// Linux/container switch of `az webapp log config --docker-container-logging filesystem` is httpLogs.fileSystem
// (quota 25-100 MB). applicationLogs.fileSystem is the Windows application-log switch, set too for the portal's view.
resource webAppLogs 'Microsoft.Web/sites/config@2023-12-01' = {
  parent: webApp
  name: 'logs'
  properties: {
    applicationLogs: {
      fileSystem: {
        level: 'Information'
      }
    }
    httpLogs: {
      fileSystem: {
        enabled: true
        retentionInMb: 35
        retentionInDays: 7
      }
    }
    detailedErrorMessages: {
      enabled: false
    }
    failedRequestsTracing: {
      enabled: false
    }
  }
}

resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: botServiceName
  location: 'global'
  kind: 'azurebot'
  sku: {
    name: botSku
  }
  properties: {
    displayName: botDisplayName
    endpoint: 'https://${webApp.properties.defaultHostName}/api/messages'
    msaAppType: 'UserAssignedMSI'
    msaAppId: identity.properties.clientId
    msaAppMSIResourceId: identity.id
    msaAppTenantId: identity.properties.tenantId
  }
}

resource teamsChannel 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: {
      isEnabled: true
    }
  }
}

// Upper-case names: the Agents Toolkit writes each output to env/.env.<env> under this name
// (BOT_ID and BOT_DOMAIN fill appPackage/manifest.json; BOT_AZURE_APP_SERVICE_RESOURCE_ID is the zipDeploy target).
output BOT_ID string = identity.properties.clientId
output BOT_DOMAIN string = webApp.properties.defaultHostName
output BOT_ENDPOINT string = 'https://${webApp.properties.defaultHostName}/api/messages'
output BOT_SERVICE_NAME string = bot.name
output BOT_AZURE_APP_SERVICE_RESOURCE_ID string = webApp.id
output SITE_URL string = 'https://${webApp.properties.defaultHostName}'
output WEB_APP_NAME string = webApp.name
output IDENTITY_CLIENT_ID string = identity.properties.clientId
output IDENTITY_PRINCIPAL_ID string = identity.properties.principalId
output IDENTITY_RESOURCE_ID string = identity.id
output TENANT_ID string = identity.properties.tenantId
output STORAGE_ACCOUNT_NAME string = storage.name
output TABLES_ENDPOINT string = storage.properties.primaryEndpoints.table
