// Webhook payloads shaped like real deliveries (GitHub's and GitLab's documented examples, trimmed of
// the fields Beamline never reads but keeping enough of them that the parser meets real noise).

/** A GitHub `push` event to `refs/heads/main` of `Octo-Org/Hello-World`. */
export function githubPushPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    ref: 'refs/heads/main',
    before: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
    after: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
    created: false,
    deleted: false,
    forced: false,
    base_ref: null,
    compare: 'https://github.com/Octo-Org/Hello-World/compare/6113728f27ae...0d1a26e67d8f',
    commits: [
      {
        id: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
        tree_id: 'f9d2a07e9488b91af2641b26b9407fe22a451433',
        distinct: true,
        message: 'Update README.md',
        timestamp: '2026-03-10T12:03:47-07:00',
        url: 'https://github.com/Octo-Org/Hello-World/commit/0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
        author: { name: 'Mona Octocat', email: 'octocat@github.com', username: 'octocat' },
        committer: { name: 'GitHub', email: 'noreply@github.com', username: 'web-flow' },
        added: [],
        removed: [],
        modified: ['README.md'],
      },
    ],
    head_commit: { id: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c', message: 'Update README.md' },
    repository: {
      id: 35129377,
      node_id: 'MDEwOlJlcG9zaXRvcnkzNTEyOTM3Nw==',
      name: 'Hello-World',
      full_name: 'Octo-Org/Hello-World',
      private: false,
      owner: { name: 'Octo-Org', login: 'Octo-Org', id: 21031067, type: 'Organization' },
      html_url: 'https://github.com/Octo-Org/Hello-World',
      fork: false,
      url: 'https://github.com/Octo-Org/Hello-World',
      git_url: 'git://github.com/Octo-Org/Hello-World.git',
      ssh_url: 'git@github.com:Octo-Org/Hello-World.git',
      clone_url: 'https://github.com/Octo-Org/Hello-World.git',
      svn_url: 'https://github.com/Octo-Org/Hello-World',
      homepage: null,
      default_branch: 'main',
      master_branch: 'main',
      organization: 'Octo-Org',
      pushed_at: 1773169427,
    },
    pusher: { name: 'octocat', email: 'octocat@github.com' },
    sender: { login: 'octocat', id: 583231, type: 'User' },
    ...overrides,
  };
}

/** A GitHub `ping` event, sent once when the webhook is created. */
export function githubPingPayload(): Record<string, unknown> {
  return {
    zen: 'Design for failure.',
    hook_id: 109948940,
    hook: { type: 'Repository', id: 109948940, active: true, events: ['push'], config: { content_type: 'json', insecure_ssl: '0', url: 'https://beamline.example.org/api/webhook' } },
    repository: { full_name: 'Octo-Org/Hello-World', clone_url: 'https://github.com/Octo-Org/Hello-World.git' },
    sender: { login: 'octocat' },
  };
}

/** A GitLab `Push Hook` to `main` of `science/analysis` on a self-hosted GitLab. */
export function gitlabPushPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    object_kind: 'push',
    event_name: 'push',
    before: '95790bf891e76fee5e1747ab589903a6a1f80f22',
    after: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
    ref: 'refs/heads/main',
    ref_protected: true,
    checkout_sha: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
    user_id: 4,
    user_name: 'John Smith',
    user_username: 'jsmith',
    project_id: 15,
    project: {
      id: 15,
      name: 'Analysis',
      description: 'Analysis pipelines',
      web_url: 'https://gitlab.example.org/science/analysis',
      avatar_url: null,
      git_ssh_url: 'git@gitlab.example.org:science/analysis.git',
      git_http_url: 'https://gitlab.example.org/science/analysis.git',
      namespace: 'Science',
      visibility_level: 0,
      path_with_namespace: 'science/analysis',
      default_branch: 'main',
      homepage: 'https://gitlab.example.org/science/analysis',
      url: 'git@gitlab.example.org:science/analysis.git',
      ssh_url: 'git@gitlab.example.org:science/analysis.git',
      http_url: 'https://gitlab.example.org/science/analysis.git',
    },
    repository: {
      name: 'Analysis',
      url: 'git@gitlab.example.org:science/analysis.git',
      description: 'Analysis pipelines',
      homepage: 'https://gitlab.example.org/science/analysis',
      git_http_url: 'https://gitlab.example.org/science/analysis.git',
      git_ssh_url: 'git@gitlab.example.org:science/analysis.git',
      visibility_level: 0,
    },
    commits: [
      {
        id: 'da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
        message: 'fixed readme',
        title: 'fixed readme',
        timestamp: '2026-03-10T12:03:47+01:00',
        url: 'https://gitlab.example.org/science/analysis/-/commit/da1560886d4f094c3e6c9ef40349f7d38b5d27d7',
        author: { name: 'GitLab dev user', email: '[REDACTED]' },
        added: ['CHANGELOG'],
        modified: ['app/controller/application.rb'],
        removed: [],
      },
    ],
    total_commits_count: 1,
    ...overrides,
  };
}

/** A GitLab `Tag Push Hook` of an annotated tag `v1.0.0`: `after` is the tag object, `checkout_sha` its commit. */
export function gitlabTagPushPayload(): Record<string, unknown> {
  return gitlabPushPayload({
    object_kind: 'tag_push',
    event_name: 'tag_push',
    before: '0000000000000000000000000000000000000000',
    after: '82b3d5ae55f7080f1e6022629cdb57bfae7cccc7',
    ref: 'refs/tags/v1.0.0',
    ref_protected: false,
    checkout_sha: '5937ac0a7beb003549fc5fd26fc247adbce4a52e',
    message: 'Tag message',
    commits: [],
    total_commits_count: 0,
  });
}
