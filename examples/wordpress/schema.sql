-- WordPress (the example): the two tables a WordPress user lives in, as
-- WordPress core creates them (wp-admin/includes/schema.php, the
-- $users_single_table and $usermeta_table definitions of WordPress 6.x;
-- unchanged since 4.4 widened user_pass and user_activation_key) with
-- the default table prefix wp_ and utf8mb4_unicode_520_ci. The DDL is
-- ours, the names, types, defaults and indexes are WordPress's
-- (meta_key(191) is schema.php's $max_index_length).
--
-- Everything about a user beyond wp_users is key-value rows of
-- wp_usermeta: first_name, last_name, wp_capabilities (the role), and
-- what plugins store. Two plugins are installed on this site:
--  - miniOrange "SAML Single Sign On – SSO Login"
--    (miniorange-saml-20-single-sign-on) writes meta_key
--    'mo_saml_name_id', the SAML NameID, at every SSO login: the users
--    who have that row are the identity provider's;
--  - "Disable User Login" by Saint Systems (disable-user-login 1.3.x)
--    writes meta_key '_is_disabled' = 1 when an admin disables a user and
--    0 when the admin enables the user again (update_user_meta).

CREATE TABLE wp_users (
  ID                  bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  user_login          varchar(60)  NOT NULL DEFAULT '',
  user_pass           varchar(255) NOT NULL DEFAULT '',
  user_nicename       varchar(50)  NOT NULL DEFAULT '',
  user_email          varchar(100) NOT NULL DEFAULT '',
  user_url            varchar(100) NOT NULL DEFAULT '',
  user_registered     datetime     NOT NULL DEFAULT '0000-00-00 00:00:00',
  user_activation_key varchar(255) NOT NULL DEFAULT '',
  user_status         int(11)      NOT NULL DEFAULT 0,
  display_name        varchar(250) NOT NULL DEFAULT '',
  PRIMARY KEY (ID),
  KEY user_login_key (user_login),
  KEY user_nicename (user_nicename),
  KEY user_email (user_email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

CREATE TABLE wp_usermeta (
  umeta_id   bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  user_id    bigint(20) unsigned NOT NULL DEFAULT 0,
  meta_key   varchar(255) DEFAULT NULL,
  meta_value longtext,
  PRIMARY KEY (umeta_id),
  KEY user_id (user_id),
  KEY meta_key (meta_key(191)),
  -- Not WordPress's: the two indexes retroscim check proposes, so that
  -- the scope's EXISTS and a read of the names and the NameID take the
  -- user's rows from an index, and Entra's lookup by externalId does not
  -- scan the table.
  KEY ix_wp_usermeta_user_id_meta_key_meta_value (user_id, meta_key(191), meta_value(191)),
  KEY ix_wp_usermeta_meta_value_meta_key_user_id (meta_value(191), meta_key(191), user_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

-- The site's admin and a service account for deployments (application
-- passwords), both local logins without a SAML row; four people who
-- sign in through SAML: Carol was disabled, Dave disabled and enabled
-- again (the 0 the plugin leaves behind).
--
-- Roles: wp_capabilities is the PHP-serialized array WordPress's
-- WP_User::add_role/set_role write (update_user_meta), one key per role
-- or per capability granted to the user herself; wp_user_level is the
-- highest level_N capability of those roles, which
-- WP_User::update_user_level_from_caps writes with every change of the
-- roles (administrator 10, editor 7, author 2, contributor 1,
-- subscriber 0). Bob is also a bbPress forum participant
-- (bbp_participant, bbPress keeps its forum roles in the same array);
-- Dave was granted upload_files alone (a role editor plugin's add_cap).
INSERT INTO wp_users (ID, user_login, user_pass, user_nicename, user_email, user_registered, display_name) VALUES
  (1, 'admin',     '$P$BqZUsUnzhA7JQuVp1zU3nvXyKfQ5Ww.', 'admin',     'admin@example.net',     '2024-03-01 09:00:00', 'admin'),
  (2, 'ci-deploy', '$P$B0wMvQ7Kc3p9Rk2z8fYbJm1sXaT6Lq/', 'ci-deploy', 'ci-deploy@example.net', '2024-03-02 09:00:00', 'CI deploy'),
  (3, 'alice',     '', 'alice', 'alice@example.net', '2025-01-06 10:00:00', 'Alice Adams'),
  (4, 'bob',       '', 'bob',   'bob@example.net',   '2025-01-06 10:05:00', 'Bob Baker'),
  (5, 'carol',     '', 'carol', 'carol@example.net', '2025-01-06 10:10:00', 'Carol Clark'),
  (6, 'dave',      '', 'dave',  'dave@example.net',  '2025-01-06 10:15:00', 'Dave Dunn');
INSERT INTO wp_usermeta (user_id, meta_key, meta_value) VALUES
  (1, 'first_name', ''), (1, 'last_name', ''), (1, 'wp_capabilities', 'a:1:{s:13:"administrator";b:1;}'), (1, 'wp_user_level', '10'),
  (2, 'first_name', ''), (2, 'last_name', ''), (2, 'wp_capabilities', 'a:1:{s:6:"editor";b:1;}'), (2, 'wp_user_level', '7'),
  (3, 'first_name', 'Alice'), (3, 'last_name', 'Adams'), (3, 'wp_capabilities', 'a:1:{s:6:"author";b:1;}'), (3, 'wp_user_level', '2'), (3, 'mo_saml_name_id', 'alice@example.net'),
  (4, 'first_name', 'Bob'), (4, 'wp_capabilities', 'a:2:{s:10:"subscriber";b:1;s:15:"bbp_participant";b:1;}'), (4, 'wp_user_level', '0'), (4, 'mo_saml_name_id', 'bob@example.net'),
  (5, 'first_name', 'Carol'), (5, 'last_name', 'Clark'), (5, 'wp_capabilities', 'a:1:{s:10:"subscriber";b:1;}'), (5, 'wp_user_level', '0'), (5, 'mo_saml_name_id', 'carol@example.net'), (5, '_is_disabled', '1'),
  (6, 'first_name', 'Dave'), (6, 'last_name', 'Dunn'), (6, 'wp_capabilities', 'a:2:{s:10:"subscriber";b:1;s:12:"upload_files";b:1;}'), (6, 'wp_user_level', '0'), (6, 'mo_saml_name_id', 'dave@example.net'), (6, '_is_disabled', '0');
