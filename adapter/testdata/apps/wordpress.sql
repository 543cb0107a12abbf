-- WordPress's users and user meta as wp-admin/includes/schema.php creates
-- them (WordPress 4.4 and later: meta_key indexed on its first 191
-- characters). A user's roles on site 1 are the keys of the PHP-serialized
-- array in her wp_usermeta row whose meta_key is wp_capabilities
-- (wp-includes/class-wp-user.php, cap_key = $wpdb->get_blog_prefix() .
-- 'capabilities'); site 2 of a multisite keeps wp_2_capabilities.
-- user_status is unused by WordPress; here 1 marks the break-glass
-- administrator that SCIM must not see.
CREATE TABLE wp_users (
  ID bigint(20) unsigned NOT NULL auto_increment,
  user_login varchar(60) NOT NULL default '',
  user_pass varchar(255) NOT NULL default '',
  user_nicename varchar(50) NOT NULL default '',
  user_email varchar(100) NOT NULL default '',
  user_url varchar(100) NOT NULL default '',
  user_registered datetime NOT NULL default '2000-01-01 00:00:00',
  user_activation_key varchar(255) NOT NULL default '',
  user_status int(11) NOT NULL default '0',
  display_name varchar(250) NOT NULL default '',
  PRIMARY KEY (ID),
  KEY user_login_key (user_login),
  KEY user_nicename (user_nicename),
  KEY user_email (user_email)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

CREATE TABLE wp_usermeta (
  umeta_id bigint(20) unsigned NOT NULL auto_increment,
  user_id bigint(20) unsigned NOT NULL default '0',
  meta_key varchar(255) default NULL,
  meta_value longtext,
  PRIMARY KEY (umeta_id),
  KEY user_id (user_id),
  KEY meta_key (meta_key(191))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_520_ci;

INSERT INTO wp_users (ID, user_login, user_email, user_status, display_name) VALUES
  (1, 'admin', 'admin@example.test', 1, 'Site Admin'),
  (2, 'alice', 'alice@example.test', 0, 'Alice Ames'),
  (3, 'bob', 'bob@example.test', 0, 'Bob Berg'),
  (4, 'carol', 'carol@example.test', 0, 'Carol Cruz');

INSERT INTO wp_usermeta (user_id, meta_key, meta_value) VALUES
  (1, 'wp_capabilities', 'a:1:{s:13:"administrator";b:1;}'),
  (1, 'nickname', 'admin'),
  (2, 'wp_capabilities', 'a:1:{s:10:"subscriber";b:1;}'),
  (2, 'wp_2_capabilities', 'a:1:{s:13:"administrator";b:1;}'),
  (2, 'nickname', 'alice'),
  (3, 'wp_capabilities', 'a:2:{s:6:"editor";b:1;s:15:"bbp_participant";b:1;}'),
  (3, 'nickname', 'bob'),
  (4, 'nickname', 'carol');
