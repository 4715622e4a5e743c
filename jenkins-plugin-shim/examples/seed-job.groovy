// Job DSL: a folder whose pipelines may use the pipeguard library (folder-level libraries run
// in the sandbox, unlike global ones), and a multibranch job that builds fork pull requests
// with the target branch's Jenkinsfile only (TrustPermission).
folder('apps') {
    properties {
        folderLibraries {
            libraries {
                libraryConfiguration {
                    name('pipeguard')
                    defaultVersion('v0.1.0')
                    implicit(false)
                    allowVersionOverride(false)
                    retriever {
                        modernSCM {
                            libraryPath('jenkins-plugin-shim/')
                            scm {
                                git {
                                    remote('https://github.com/pipeguard/pipeguard.git')
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

multibranchPipelineJob('apps/api') {
    branchSources {
        branchSource {
            source {
                github {
                    id('apps-api')
                    repoOwner('example')
                    repository('api')
                    repositoryUrl('https://github.com/example/api')
                    configuredByUrl(false)
                    credentialsId('github-app')
                    traits {
                        gitHubBranchDiscovery { strategyId(1) }
                        gitHubPullRequestDiscovery { strategyId(1) }
                        gitHubForkDiscovery {
                            strategyId(1)
                            trust { gitHubTrustPermissions() }
                        }
                    }
                }
            }
        }
    }
}
